#include "scan/cidr.h"

#include <charconv>

namespace kura::scan {

Result<Ipv4> ParseIpv4(std::string_view text) {
  uint32_t value = 0;
  const char* p = text.data();
  const char* end = text.data() + text.size();
  for (int i = 0; i < 4; ++i) {
    if (i > 0) {
      if (p == end || *p != '.') return InvalidArgumentError("not an IPv4 address");
      ++p;
    }
    if (p == end || *p < '0' || *p > '9') return InvalidArgumentError("not an IPv4 address");
    unsigned octet = 0;
    auto [next, ec] = std::from_chars(p, end, octet);
    if (ec != std::errc() || octet > 255 || next - p > 3) {
      return InvalidArgumentError("not an IPv4 address");
    }
    p = next;
    value = (value << 8) | octet;
  }
  if (p != end) return InvalidArgumentError("not an IPv4 address");
  return Ipv4{value};
}

std::string FormatIpv4(Ipv4 a) {
  return std::to_string(a.value >> 24) + "." + std::to_string((a.value >> 16) & 0xff) + "." +
         std::to_string((a.value >> 8) & 0xff) + "." + std::to_string(a.value & 0xff);
}

Cidr::Cidr(Ipv4 base, int prefix_len)
    : base_(base),
      prefix_len_(prefix_len),
      mask_(prefix_len == 0 ? 0 : ~uint32_t{0} << (32 - prefix_len)) {}

Result<Cidr> Cidr::Parse(std::string_view text) {
  size_t slash = text.find('/');
  if (slash == std::string_view::npos) {
    return InvalidArgumentError("not a CIDR block (expected a.b.c.d/len)");
  }
  ASSIGN_OR_RETURN(Ipv4 base, ParseIpv4(text.substr(0, slash)));
  std::string_view len_text = text.substr(slash + 1);
  int len = -1;
  auto [next, ec] = std::from_chars(len_text.data(), len_text.data() + len_text.size(), len);
  if (ec != std::errc() || next != len_text.data() + len_text.size() || len < 0 || len > 32 ||
      len_text.empty() || len_text.size() > 2) {
    return InvalidArgumentError("CIDR prefix length must be 0..32");
  }
  Cidr c(base, len);
  if ((base.value & c.mask_) != base.value) {
    return InvalidArgumentError("CIDR block has host bits set");
  }
  return c;
}

bool Cidr::Overlaps(const Cidr& other) const {
  const uint32_t m = prefix_len_ < other.prefix_len_ ? mask_ : other.mask_;
  return (base_.value & m) == (other.base_.value & m);
}

std::string Cidr::ToString() const {
  return FormatIpv4(base_) + "/" + std::to_string(prefix_len_);
}

}  // namespace kura::scan
