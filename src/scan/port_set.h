// PortSet: a set of TCP/UDP ports 1..65535, written as ranges "1-1024,5432".
//
// Thread safety: a value; safe to share when const.
#ifndef KURA_SCAN_PORT_SET_H_
#define KURA_SCAN_PORT_SET_H_

#include <bitset>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "core/base/status.h"

namespace kura::scan {

inline constexpr int kMaxPort = 65535;

class PortSet {
 public:
  PortSet() = default;
  // "1-65535", "22,80,443", "1-1024,5432". kInvalidArgument on anything
  // else (empty items, ports outside 1..65535, reversed ranges).
  static Result<PortSet> Parse(std::string_view text);
  static PortSet All();

  void Add(int port) { bits_.set(static_cast<size_t>(port)); }
  bool Contains(int port) const {
    return port >= 1 && port <= kMaxPort && bits_.test(static_cast<size_t>(port));
  }
  size_t size() const { return bits_.count(); }
  bool empty() const { return bits_.none(); }
  // Ascending.
  std::vector<uint16_t> ToVector() const;
  // Canonical compact form, e.g. "1-21,23-442"; "" if empty.
  std::string ToString() const;

  friend bool operator==(const PortSet& a, const PortSet& b) { return a.bits_ == b.bits_; }

 private:
  std::bitset<kMaxPort + 1> bits_;
};

}  // namespace kura::scan

#endif  // KURA_SCAN_PORT_SET_H_
