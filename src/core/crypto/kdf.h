// HKDF-SHA-256 (RFC 5869) key derivation, from OpenSSL's EVP_KDF "HKDF".
//
// Used to derive purpose-bound subkeys from a stored key (e.g. the keyring's
// look-up key for vault token ids) so one stored key never serves two
// purposes directly.
//
// Thread safety: thread-safe (no shared state).
#ifndef KURA_CORE_CRYPTO_KDF_H_
#define KURA_CORE_CRYPTO_KDF_H_

#include <cstddef>
#include <string_view>

#include "core/base/secret.h"
#include "core/base/status.h"

namespace kura::crypto {

// Largest output RFC 5869 allows for SHA-256 (255 blocks of 32 bytes).
inline constexpr size_t kMaxHkdfSha256Output = 255 * 32;

// HKDF-Extract-then-Expand with SHA-256: `length` bytes derived from `ikm`
// with `salt` (may be empty: RFC 5869 then uses a zero block) and `info`
// (binds the output to its purpose). The output is zeroized when dropped.
// Errors: kInvalidArgument if `ikm` is empty or `length` is 0 or beyond
// kMaxHkdfSha256Output; kInternal if OpenSSL fails.
Result<SecretBytes> HkdfSha256(const SecretBytes& ikm, std::string_view salt,
                               std::string_view info, size_t length);

}  // namespace kura::crypto

#endif  // KURA_CORE_CRYPTO_KDF_H_
