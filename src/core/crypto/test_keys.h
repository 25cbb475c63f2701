// Test-only helpers shared by ed25519_test.cc and jws_test.cc: RFC 8032
// test 1 key material and PEM for foreign key types. Not part of kura_crypto.
#ifndef KURA_CORE_CRYPTO_TEST_KEYS_H_
#define KURA_CORE_CRYPTO_TEST_KEYS_H_

#include <openssl/evp.h>
#include <openssl/pem.h>

#include <string>
#include <string_view>

#include "core/crypto/encoding.h"

namespace kura::crypto::testing {

// RFC 8032 section 7.1, TEST 1.
inline constexpr std::string_view kRfc8032Test1SecretHex =
    "9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60";
inline constexpr std::string_view kRfc8032Test1PublicHex =
    "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a";
inline constexpr std::string_view kRfc8032Test1SignatureHex =
    "e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e065224901555fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b";

// PKCS#8 PEM for a raw 32-byte Ed25519 seed: the fixed RFC 8410 DER prefix
// followed by the seed.
inline std::string Ed25519PemFromSeedHex(std::string_view seed_hex) {
  const std::string der =
      HexDecode(std::string("302e020100300506032b657004220420") + std::string(seed_hex))
          .value_or("");
  return "-----BEGIN PRIVATE KEY-----\n" +
         Base64Encode({reinterpret_cast<const uint8_t*>(der.data()), der.size()}) +
         "\n-----END PRIVATE KEY-----\n";
}

// Generates a key of another type ("RSA", "EC", "X25519", "ED448") and
// returns its {private PKCS#8 PEM, public SPKI PEM}.
inline std::pair<std::string, std::string> ForeignKeyPem(const char* type) {
  EVP_PKEY* pkey = nullptr;
  if (std::string_view(type) == "RSA") {
    pkey = EVP_PKEY_Q_keygen(nullptr, nullptr, "RSA", size_t{1024});
  } else if (std::string_view(type) == "EC") {
    pkey = EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", "P-256");
  } else {
    pkey = EVP_PKEY_Q_keygen(nullptr, nullptr, type);
  }
  std::pair<std::string, std::string> out;
  if (pkey == nullptr) return out;
  auto drain = [](BIO* bio) {
    char* data = nullptr;
    const long len = BIO_get_mem_data(bio, &data);
    std::string s(data, static_cast<size_t>(len));
    BIO_free(bio);
    return s;
  };
  BIO* priv = BIO_new(BIO_s_mem());
  PEM_write_bio_PrivateKey(priv, pkey, nullptr, nullptr, 0, nullptr, nullptr);
  out.first = drain(priv);
  BIO* pub = BIO_new(BIO_s_mem());
  PEM_write_bio_PUBKEY(pub, pkey);
  out.second = drain(pub);
  EVP_PKEY_free(pkey);
  return out;
}

}  // namespace kura::crypto::testing

#endif  // KURA_CORE_CRYPTO_TEST_KEYS_H_
