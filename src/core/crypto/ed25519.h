// Ed25519 signatures (RFC 8032) through OpenSSL's EVP_PKEY.
//
// Keys load from / save to PEM (PKCS#8 private, SPKI public), the formats
// `openssl genpkey -algorithm ed25519` and every JOSE library understand.
//
// Thread safety: a const key object may be used from several threads.
#ifndef KURA_CORE_CRYPTO_ED25519_H_
#define KURA_CORE_CRYPTO_ED25519_H_

#include <memory>
#include <string>
#include <string_view>

#include "core/base/secret.h"
#include "core/base/status.h"

namespace kura::crypto {

inline constexpr size_t kEd25519SignatureSize = 64;
inline constexpr size_t kEd25519PublicKeySize = 32;

class Ed25519PublicKey {
 public:
  // Errors: kInvalidArgument if the PEM is not an Ed25519 SPKI public key
  // (garbage, a private key, RSA/EC/X25519/Ed448, or larger than 16 KiB).
  static Result<Ed25519PublicKey> FromPem(std::string_view pem);
  // Errors: kInvalidArgument unless raw is 32 bytes.
  static Result<Ed25519PublicKey> FromRaw(std::string_view raw);

  // SPKI PEM ("-----BEGIN PUBLIC KEY-----").
  std::string ToPem() const;
  std::string Raw() const;  // 32 bytes

  // OK iff `signature` is a valid signature of `message`; otherwise
  // kUnauthenticated ("signature does not verify").
  Status Verify(std::string_view message, std::string_view signature) const;

 private:
  struct Impl;
  explicit Ed25519PublicKey(std::shared_ptr<const Impl> impl) : impl_(std::move(impl)) {}
  std::shared_ptr<const Impl> impl_;
  friend class Ed25519PrivateKey;  // PublicKey() builds one from raw bytes
};

class Ed25519PrivateKey {
 public:
  // A fresh key from OpenSSL's CSPRNG.
  static Result<Ed25519PrivateKey> Generate();
  // Errors: kInvalidArgument if the PEM is not an unencrypted Ed25519 key
  // (an encrypted key fails; it never prompts for a passphrase).
  static Result<Ed25519PrivateKey> FromPem(std::string_view pem);

  // PKCS#8 PEM; a secret, hence SecretBytes.
  SecretBytes ToPem() const;
  Ed25519PublicKey PublicKey() const;

  // 64-byte signature (deterministic, RFC 8032). Errors: kInternal if
  // OpenSSL fails.
  Result<std::string> Sign(std::string_view message) const;

 private:
  struct Impl;
  explicit Ed25519PrivateKey(std::shared_ptr<const Impl> impl) : impl_(std::move(impl)) {}
  std::shared_ptr<const Impl> impl_;
};

}  // namespace kura::crypto

#endif  // KURA_CORE_CRYPTO_ED25519_H_
