// IPv4 addresses and CIDR blocks as the segmentation policy names them.
//
// Only IPv4: the issuer's segments (10.x CDE, 172.x out of scope) are IPv4.
// Thread safety: values; safe to share when const.
#ifndef KURA_SCAN_CIDR_H_
#define KURA_SCAN_CIDR_H_

#include <cstdint>
#include <string>
#include <string_view>

#include "core/base/status.h"

namespace kura::scan {

// An IPv4 address in host byte order.
struct Ipv4 {
  uint32_t value = 0;
  friend bool operator==(Ipv4 a, Ipv4 b) { return a.value == b.value; }
  friend auto operator<=>(Ipv4 a, Ipv4 b) { return a.value <=> b.value; }
};

// Dotted quad "10.42.1.10". kInvalidArgument (without echoing the text) if
// malformed: exactly four decimal octets 0..255, no leading '+', no spaces.
Result<Ipv4> ParseIpv4(std::string_view text);
std::string FormatIpv4(Ipv4 a);

class Cidr {
 public:
  // "10.42.0.0/16"; host bits must be zero ("10.42.1.0/16" is rejected as
  // ambiguous). kInvalidArgument if malformed.
  static Result<Cidr> Parse(std::string_view text);

  bool Contains(Ipv4 a) const { return (a.value & mask_) == base_.value; }
  bool Overlaps(const Cidr& other) const;
  std::string ToString() const;
  int prefix_len() const { return prefix_len_; }

 private:
  Cidr(Ipv4 base, int prefix_len);
  Ipv4 base_;
  int prefix_len_ = 0;
  uint32_t mask_ = 0;
};

}  // namespace kura::scan

#endif  // KURA_SCAN_CIDR_H_
