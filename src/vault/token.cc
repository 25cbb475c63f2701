#include "vault/token.h"

#include <algorithm>
#include <array>
#include <cstdint>

#include "core/pan/luhn.h"
#include "vault/card.h"

namespace kura::vault {
namespace {

constexpr std::string_view kBase32Lower = "abcdefghijklmnopqrstuvwxyz234567";

bool IsDigits(std::string_view s) {
  for (char c : s) {
    if (c < '0' || c > '9') return false;
  }
  return true;
}

}  // namespace

static_assert((kRandomTokenBytes * 8 + 4) / 5 == kRandomTokenChars,
              "a token's characters carry its bytes, 5 bits each");

std::string EncodeRandomToken(const RandomTokenBytes& bytes) {
  // Sized once and written in place: this runs once per card stored.
  std::string out(kRandomTokenPrefix.size() + kRandomTokenChars, '\0');
  std::copy(kRandomTokenPrefix.begin(), kRandomTokenPrefix.end(), out.begin());
  size_t pos = kRandomTokenPrefix.size();
  uint32_t buffer = 0;
  int bits = 0;
  for (uint8_t b : bytes) {
    buffer = (buffer << 8) | b;
    bits += 8;
    while (bits >= 5) {
      bits -= 5;
      out[pos++] = kBase32Lower[(buffer >> bits) & 0x1f];
    }
  }
  if (bits > 0) out[pos++] = kBase32Lower[(buffer << (5 - bits)) & 0x1f];
  return out;
}

Result<std::string> GenerateRandomToken(Random& random) {
  RandomTokenBytes bytes{};
  RETURN_IF_ERROR(random.Fill(bytes));
  return EncodeRandomToken(bytes);
}

std::optional<RandomTokenBytes> DecodeRandomToken(std::string_view s) {
  if (!LooksLikeRandomToken(s)) return std::nullopt;
  RandomTokenBytes out{};
  uint32_t buffer = 0;
  int bits = 0;
  size_t n = 0;
  for (char c : s.substr(kRandomTokenPrefix.size())) {
    buffer = (buffer << 5) | static_cast<uint32_t>(kBase32Lower.find(c));
    bits += 5;
    if (bits >= 8) {
      bits -= 8;
      if (n < out.size()) out[n++] = static_cast<uint8_t>(buffer >> bits);
    }
  }
  return out;
}

bool LooksLikeRandomToken(std::string_view s) {
  if (s.size() != kRandomTokenPrefix.size() + kRandomTokenChars) return false;
  if (!s.starts_with(kRandomTokenPrefix)) return false;
  const std::string_view body = s.substr(kRandomTokenPrefix.size());
  for (char c : body) {
    if (kBase32Lower.find(c) == std::string_view::npos) return false;
  }
  // 26 * 5 = 130 bits carry 128: the last character's two low bits are zero
  // padding, so only 8 of its 32 values are canonical.
  return (kBase32Lower.find(body.back()) & 0x3) == 0;
}

Result<std::string> GenerateFptToken(std::string_view pan, bool keep_bin, int bin_length,
                                     Random& random) {
  if (pan.size() < kMinPanLength || pan.size() > kMaxPanLength || !IsDigits(pan)) {
    return InvalidArgumentError("fpt token: pan must be 13 to 19 digits");
  }
  if (keep_bin && bin_length != 6 && bin_length != 8) {
    return InvalidArgumentError("fpt token: bin length must be 6 or 8");
  }
  const size_t head = keep_bin ? static_cast<size_t>(bin_length) : 0;
  const size_t tail = 4;
  if (pan.size() < head + tail + kMinFptRandomDigits) {
    return InvalidArgumentError("fpt token: too few digits left to randomise");
  }
  std::string token(pan);
  const size_t first = head;
  const size_t last = pan.size() - tail - 1;  // the last random position
  for (size_t i = first; i < last; ++i) {
    ASSIGN_OR_RETURN(const uint64_t d, random.Uniform(10));
    token[i] = static_cast<char>('0' + d);
  }
  // With every other digit fixed, exactly one value at `last` makes the token
  // pass Luhn (changing one digit always changes the Luhn sum mod 10). Drawing
  // uniformly from the other nine values makes the token uniform over all
  // Luhn-invalid strings, instead of the bias that "generate, then patch a
  // Luhn-valid result" would give the patched-to values.
  char forbidden = '0';
  for (char c = '0'; c <= '9'; ++c) {
    token[last] = c;
    if (pan::LuhnValid(token)) {
      forbidden = c;
      break;
    }
  }
  ASSIGN_OR_RETURN(const uint64_t pick, random.Uniform(9));
  char digit = static_cast<char>('0' + pick);
  if (digit >= forbidden) ++digit;
  token[last] = digit;
  return token;
}

bool LooksLikeFptToken(std::string_view s) {
  return s.size() >= kMinPanLength && s.size() <= kMaxPanLength && IsDigits(s) &&
         !pan::LuhnValid(s);
}

}  // namespace kura::vault
