// Constant-time comparison for secrets (API keys, MACs, KCVs).
#ifndef KURA_CORE_CRYPTO_CONSTANT_TIME_H_
#define KURA_CORE_CRYPTO_CONSTANT_TIME_H_

#include <cstdint>
#include <span>
#include <string_view>

namespace kura::crypto {

// True iff a == b. Time depends only on the lengths, never on the contents
// (CRYPTO_memcmp). Unequal lengths return false immediately: lengths of our
// secrets are public (fixed-size digests and keys).
bool ConstantTimeEquals(std::span<const uint8_t> a, std::span<const uint8_t> b);
bool ConstantTimeEquals(std::string_view a, std::string_view b);

}  // namespace kura::crypto

#endif  // KURA_CORE_CRYPTO_CONSTANT_TIME_H_
