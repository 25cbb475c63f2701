// AES key wrap with padding (RFC 5649, OpenSSL "AES-256-WRAP-PAD").
//
// Used to wrap data keys (DEKs) under the master key (KEK).
#ifndef KURA_CORE_CRYPTO_KEY_WRAP_H_
#define KURA_CORE_CRYPTO_KEY_WRAP_H_

#include <string>
#include <string_view>

#include "core/base/secret.h"
#include "core/base/status.h"

namespace kura::crypto {

// Errors: kInvalidArgument if kek is not 32 bytes or key is empty.
Result<std::string> WrapKey(const SecretBytes& kek, const SecretBytes& key);

// Errors: kInvalidArgument for a malformed input; kDataLoss when the
// integrity check fails (wrong KEK or modified bytes).
Result<SecretBytes> UnwrapKey(const SecretBytes& kek, std::string_view wrapped);

// Key check value: the first 3 bytes of AES-256-ECB(key, 0^16), as 6 hex
// characters (the usual KCV convention). key must be 32 bytes.
Result<std::string> KeyCheckValue(const SecretBytes& key);

}  // namespace kura::crypto

#endif  // KURA_CORE_CRYPTO_KEY_WRAP_H_
