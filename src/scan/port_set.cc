#include "scan/port_set.h"

#include <charconv>

namespace kura::scan {
namespace {

Result<int> ParsePort(std::string_view s) {
  int v = 0;
  auto [next, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (s.empty() || ec != std::errc() || next != s.data() + s.size() || v < 1 || v > kMaxPort) {
    return InvalidArgumentError("ports must be numbers in 1..65535");
  }
  return v;
}

}  // namespace

Result<PortSet> PortSet::Parse(std::string_view text) {
  PortSet set;
  size_t pos = 0;
  while (pos <= text.size()) {
    size_t comma = text.find(',', pos);
    std::string_view item =
        text.substr(pos, comma == std::string_view::npos ? std::string_view::npos : comma - pos);
    size_t dash = item.find('-');
    if (dash == std::string_view::npos) {
      ASSIGN_OR_RETURN(int p, ParsePort(item));
      set.Add(p);
    } else {
      ASSIGN_OR_RETURN(int lo, ParsePort(item.substr(0, dash)));
      ASSIGN_OR_RETURN(int hi, ParsePort(item.substr(dash + 1)));
      if (lo > hi) return InvalidArgumentError("port range is reversed");
      for (int p = lo; p <= hi; ++p) set.Add(p);
    }
    if (comma == std::string_view::npos) break;
    pos = comma + 1;
  }
  return set;
}

PortSet PortSet::All() {
  PortSet set;
  for (int p = 1; p <= kMaxPort; ++p) set.Add(p);
  return set;
}

std::vector<uint16_t> PortSet::ToVector() const {
  std::vector<uint16_t> out;
  out.reserve(size());
  for (int p = 1; p <= kMaxPort; ++p) {
    if (bits_.test(static_cast<size_t>(p))) out.push_back(static_cast<uint16_t>(p));
  }
  return out;
}

std::string PortSet::ToString() const {
  std::string out;
  int p = 1;
  while (p <= kMaxPort) {
    if (!bits_.test(static_cast<size_t>(p))) {
      ++p;
      continue;
    }
    int q = p;
    while (q + 1 <= kMaxPort && bits_.test(static_cast<size_t>(q + 1))) ++q;
    if (!out.empty()) out += ',';
    out += std::to_string(p);
    if (q > p) out += "-" + std::to_string(q);
    p = q + 1;
  }
  return out;
}

}  // namespace kura::scan
