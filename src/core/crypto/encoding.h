// Hex and Base64 / Base64url (RFC 4648) encodings.
//
// Decoders reject any malformed input with kInvalidArgument and never echo
// the input in the error (it may be secret).
#ifndef KURA_CORE_CRYPTO_ENCODING_H_
#define KURA_CORE_CRYPTO_ENCODING_H_

#include <cstdint>
#include <span>
#include <string>
#include <string_view>

#include "core/base/status.h"

namespace kura::crypto {

// Lower-case hex.
std::string HexEncode(std::span<const uint8_t> data);
inline std::string HexEncode(std::string_view s) {
  return HexEncode({reinterpret_cast<const uint8_t*>(s.data()), s.size()});
}
// Accepts upper or lower case; odd length or non-hex characters fail.
Result<std::string> HexDecode(std::string_view hex);

// Standard alphabet with '=' padding. The decoder requires the padding
// (length a multiple of 4), and rejects whitespace, the URL-safe characters
// and non-canonical trailing bits.
std::string Base64Encode(std::span<const uint8_t> data);
Result<std::string> Base64Decode(std::string_view text);

// URL-safe alphabet without padding (JOSE, RFC 7515 section 2).
std::string Base64UrlEncode(std::span<const uint8_t> data);
inline std::string Base64UrlEncode(std::string_view s) {
  return Base64UrlEncode({reinterpret_cast<const uint8_t*>(s.data()), s.size()});
}
// Rejects padding, '+', '/', whitespace and non-canonical trailing bits.
Result<std::string> Base64UrlDecode(std::string_view text);

}  // namespace kura::crypto

#endif  // KURA_CORE_CRYPTO_ENCODING_H_
