// AES-256-GCM authenticated encryption (OpenSSL EVP).
//
// Sealed format: nonce (12 bytes, fresh from Random) || ciphertext || tag (16).
// The associated data binds a ciphertext to its context (e.g. token + key
// version) so it cannot be moved to another record.
//
// Thread safety: the free functions are thread-safe (no shared state); an
// AesGcmSealer object is not (one per thread or batch).
#ifndef KURA_CORE_CRYPTO_AEAD_H_
#define KURA_CORE_CRYPTO_AEAD_H_

#include <cstddef>
#include <memory>
#include <string>
#include <string_view>

#include "core/base/random.h"
#include "core/base/secret.h"
#include "core/base/status.h"

namespace kura::crypto {

inline constexpr size_t kAes256KeySize = 32;
inline constexpr size_t kGcmNonceSize = 12;
inline constexpr size_t kGcmTagSize = 16;

// Errors: kInvalidArgument for a key that is not 32 bytes; kInternal if the
// random source or OpenSSL fails.
Result<std::string> AesGcmSeal(const SecretBytes& key, Random& random, std::string_view plaintext,
                               std::string_view aad);

// AesGcmSeal for many plaintexts under one key: the key schedule is set up
// once (OpenSSL keeps it in the context and wipes it when the sealer is
// destroyed); every Seal still draws a fresh nonce from `random`.
class AesGcmSealer {
 public:
  // Errors: kInvalidArgument for a key that is not 32 bytes; kInternal if
  // OpenSSL fails.
  static Result<AesGcmSealer> Create(const SecretBytes& key);
  AesGcmSealer(AesGcmSealer&&) noexcept;
  AesGcmSealer& operator=(AesGcmSealer&&) noexcept;
  ~AesGcmSealer();

  // Same output and errors as AesGcmSeal with this sealer's key.
  Result<std::string> Seal(Random& random, std::string_view plaintext, std::string_view aad);

 private:
  struct Impl;
  explicit AesGcmSealer(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

// Errors: kInvalidArgument for a wrong key size or a too-short input;
// kDataLoss when authentication fails (wrong key, wrong AAD, modified bytes).
// The message never includes plaintext.
Result<SecretBytes> AesGcmOpen(const SecretBytes& key, std::string_view sealed,
                               std::string_view aad);

// AesGcmOpen for many sealed inputs under one key: the key schedule is set up
// once (OpenSSL keeps it in the context and wipes it when the opener is
// destroyed). Not thread-safe: one per thread, or handed out by a pool.
class AesGcmOpener {
 public:
  // Errors: kInvalidArgument for a key that is not 32 bytes; kInternal if
  // OpenSSL fails.
  static Result<AesGcmOpener> Create(const SecretBytes& key);
  AesGcmOpener(AesGcmOpener&&) noexcept;
  AesGcmOpener& operator=(AesGcmOpener&&) noexcept;
  ~AesGcmOpener();

  // Same output and errors as AesGcmOpen with this opener's key.
  Result<SecretBytes> Open(std::string_view sealed, std::string_view aad);

 private:
  struct Impl;
  explicit AesGcmOpener(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace kura::crypto

#endif  // KURA_CORE_CRYPTO_AEAD_H_
