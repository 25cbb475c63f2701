// AES key wrap with padding (RFC 5649, OpenSSL "AES-256-WRAP-PAD").
//
// Used to wrap data keys (DEKs) under the master key (KEK).
#ifndef KURA_CORE_CRYPTO_KEY_WRAP_H_
#define KURA_CORE_CRYPTO_KEY_WRAP_H_

#include <cstddef>
#include <string>
#include <string_view>

#include "core/base/secret.h"
#include "core/base/status.h"

namespace kura::crypto {

// Largest key WrapKey accepts (data keys are 32 bytes; this only bounds
// inputs). The wrapped form is the key padded to a multiple of 8, plus 8.
inline constexpr size_t kMaxWrapKeySize = 64 * 1024;

// Errors: kInvalidArgument if kek is not 32 bytes or key is empty or larger
// than kMaxWrapKeySize; kInternal if OpenSSL fails.
// Deterministic: the same (kek, key) always wraps to the same bytes.
Result<std::string> WrapKey(const SecretBytes& kek, const SecretBytes& key);

// Errors: kInvalidArgument for a KEK that is not 32 bytes or a malformed
// input (shorter than 16 bytes, not a multiple of 8, or larger than
// kMaxWrapKeySize + 8); kDataLoss when the integrity check fails (wrong KEK
// or modified bytes).
Result<SecretBytes> UnwrapKey(const SecretBytes& kek, std::string_view wrapped);

// Key check value: the first 3 bytes of AES-256-ECB(key, 0^16), as 6 hex
// characters (the usual KCV convention). Errors: kInvalidArgument unless key
// is 32 bytes; kInternal if OpenSSL fails.
Result<std::string> KeyCheckValue(const SecretBytes& key);

}  // namespace kura::crypto

#endif  // KURA_CORE_CRYPTO_KEY_WRAP_H_
