// Aes256Block: AES-256 applied to exactly one 16-byte block (OpenSSL EVP,
// ECB mode without padding), i.e. a keyed pseudo-random permutation of
// 128-bit values.
//
// It is NOT a way to encrypt data (one block, no nonce, no integrity). Its
// one use is to turn a structured 128-bit value into one that looks random
// and back, under a secret key: the vault's tokens carry their row id this
// way (vault/token_codec.h).
//
// Thread safety: Encrypt and Decrypt may be called concurrently (they take
// a lock around the prepared cipher contexts).
#ifndef KURA_CORE_CRYPTO_BLOCK_CIPHER_H_
#define KURA_CORE_CRYPTO_BLOCK_CIPHER_H_

#include <array>
#include <cstdint>
#include <memory>

#include "core/base/secret.h"
#include "core/base/status.h"

namespace kura::crypto {

using Block128 = std::array<uint8_t, 16>;

class Aes256Block {
 public:
  // Errors: kInvalidArgument unless `key` is 32 bytes; kInternal if OpenSSL
  // fails. The key schedule is held by OpenSSL and wiped when this object
  // is destroyed (EVP_CIPHER_CTX_free cleanses it).
  static Result<Aes256Block> Create(const SecretBytes& key);

  Aes256Block(Aes256Block&&) noexcept;
  Aes256Block& operator=(Aes256Block&&) noexcept;
  ~Aes256Block();

  // Errors: kInternal if OpenSSL fails (allocation).
  Result<Block128> Encrypt(const Block128& in) const;
  Result<Block128> Decrypt(const Block128& in) const;

 private:
  struct Impl;
  explicit Aes256Block(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace kura::crypto

#endif  // KURA_CORE_CRYPTO_BLOCK_CIPHER_H_
