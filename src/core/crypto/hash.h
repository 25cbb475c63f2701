// SHA-256 and HMAC-SHA-256 (OpenSSL EVP / EVP_MAC).
//
// Thread safety: free functions are thread-safe; a Sha256Hasher object is not.
//
// These functions have no error channel: for in-memory input SHA-256 and HMAC
// can only fail if OpenSSL itself is broken (no default provider, out of
// memory). In that case they abort the process rather than return a wrong
// digest that would silently corrupt hash chains and MACs.
#ifndef KURA_CORE_CRYPTO_HASH_H_
#define KURA_CORE_CRYPTO_HASH_H_

#include <array>
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>

#include "core/base/secret.h"
#include "core/base/status.h"

namespace kura::crypto {

using Digest256 = std::array<uint8_t, 32>;

inline std::span<const uint8_t> AsBytes(std::string_view s) {
  return {reinterpret_cast<const uint8_t*>(s.data()), s.size()};
}

Digest256 Sha256(std::span<const uint8_t> data);
inline Digest256 Sha256(std::string_view data) { return Sha256(AsBytes(data)); }

// HMAC-SHA-256 of `data` under `key` (any length).
Digest256 HmacSha256(std::span<const uint8_t> key, std::span<const uint8_t> data);
inline Digest256 HmacSha256(const SecretBytes& key, std::string_view data) {
  return HmacSha256(key.span(), AsBytes(data));
}

// HMAC-SHA-256 under one key for many messages: the key is set up once and
// the context re-initialised per message (cheaper than HmacSha256 per call).
// The key is held by OpenSSL and wiped when this object is destroyed.
// Not thread-safe: one per thread or batch. Clone only reads this object, but
// OpenSSL does not promise that concurrent reads of one context are safe, so
// callers serialise every use of an object, Clone included.
class HmacSha256Keyed {
 public:
  explicit HmacSha256Keyed(const SecretBytes& key);
  ~HmacSha256Keyed();
  HmacSha256Keyed(const HmacSha256Keyed&) = delete;
  HmacSha256Keyed& operator=(const HmacSha256Keyed&) = delete;

  Digest256 Mac(std::string_view data);

  // An independent context under the same key (EVP_MAC_CTX_dup). Several
  // times cheaper than constructing one: no algorithm look-up in OpenSSL's
  // provider store (which takes a global lock) and no key set-up.
  std::unique_ptr<HmacSha256Keyed> Clone() const;

 private:
  struct Impl;
  explicit HmacSha256Keyed(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

// Incremental SHA-256 for streams (hash chains, segment files).
class Sha256Hasher {
 public:
  Sha256Hasher();
  ~Sha256Hasher();
  Sha256Hasher(const Sha256Hasher&) = delete;
  Sha256Hasher& operator=(const Sha256Hasher&) = delete;

  void Update(std::span<const uint8_t> data);
  void Update(std::string_view data) { Update(AsBytes(data)); }
  // Returns the digest; the hasher must not be used afterwards, except for
  // Reset().
  Digest256 Finish();
  // Starts a new digest, reusing the context (cheaper than a new hasher for
  // many small inputs).
  void Reset();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace kura::crypto

#endif  // KURA_CORE_CRYPTO_HASH_H_
