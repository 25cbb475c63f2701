#include "core/crypto/ed25519.h"

#include <gtest/gtest.h>

#include <string>

#include "core/crypto/encoding.h"
#include "core/crypto/test_keys.h"

namespace kura::crypto {
namespace {

using testing::Ed25519PemFromSeedHex;
using testing::ForeignKeyPem;
using testing::kRfc8032Test1PublicHex;
using testing::kRfc8032Test1SecretHex;
using testing::kRfc8032Test1SignatureHex;

std::string Unhex(std::string_view hex) { return HexDecode(hex).value_or(""); }

Ed25519PrivateKey Rfc8032Key() {
  auto key = Ed25519PrivateKey::FromPem(Ed25519PemFromSeedHex(kRfc8032Test1SecretHex));
  EXPECT_TRUE(key.ok()) << key.status().ToString();
  return std::move(key).value();
}

TEST(Ed25519Test, Rfc8032Test1Sign) {
  const Ed25519PrivateKey key = Rfc8032Key();
  EXPECT_EQ(HexEncode(key.PublicKey().Raw()), kRfc8032Test1PublicHex);
  auto sig = key.Sign("");
  ASSERT_TRUE(sig.ok());
  EXPECT_EQ(HexEncode(*sig), kRfc8032Test1SignatureHex);
}

TEST(Ed25519Test, Rfc8032Test1VerifyFromRaw) {
  auto pub = Ed25519PublicKey::FromRaw(Unhex(kRfc8032Test1PublicHex));
  ASSERT_TRUE(pub.ok());
  EXPECT_TRUE(pub->Verify("", Unhex(kRfc8032Test1SignatureHex)).ok());
  EXPECT_EQ(pub->Verify("x", Unhex(kRfc8032Test1SignatureHex)).code(),
            StatusCode::kUnauthenticated);
}

TEST(Ed25519Test, ModifiedSignatureIsUnauthenticated) {
  auto pub = Ed25519PublicKey::FromRaw(Unhex(kRfc8032Test1PublicHex));
  ASSERT_TRUE(pub.ok());
  const std::string sig = Unhex(kRfc8032Test1SignatureHex);
  for (size_t i = 0; i < sig.size(); i += 7) {
    std::string bad = sig;
    bad[i] = static_cast<char>(bad[i] ^ 0x04);
    EXPECT_EQ(pub->Verify("", bad).code(), StatusCode::kUnauthenticated) << i;
  }
  EXPECT_EQ(pub->Verify("", sig.substr(0, 63)).code(), StatusCode::kUnauthenticated);
  EXPECT_EQ(pub->Verify("", sig + "x").code(), StatusCode::kUnauthenticated);
  EXPECT_EQ(pub->Verify("", "").code(), StatusCode::kUnauthenticated);
}

TEST(Ed25519Test, GenerateSignVerify) {
  auto key = Ed25519PrivateKey::Generate();
  ASSERT_TRUE(key.ok());
  auto sig = key->Sign("hello");
  ASSERT_TRUE(sig.ok());
  EXPECT_EQ(sig->size(), kEd25519SignatureSize);
  EXPECT_TRUE(key->PublicKey().Verify("hello", *sig).ok());
  EXPECT_EQ(key->PublicKey().Verify("hellO", *sig).code(), StatusCode::kUnauthenticated);
  auto other = Ed25519PrivateKey::Generate();
  ASSERT_TRUE(other.ok());
  EXPECT_NE(other->PublicKey().Raw(), key->PublicKey().Raw());
  EXPECT_EQ(other->PublicKey().Verify("hello", *sig).code(), StatusCode::kUnauthenticated);
}

TEST(Ed25519Test, PrivatePemRoundTrip) {
  auto key = Ed25519PrivateKey::Generate();
  ASSERT_TRUE(key.ok());
  const SecretBytes pem = key->ToPem();
  EXPECT_EQ(pem.view().rfind("-----BEGIN PRIVATE KEY-----", 0), 0u);
  auto loaded = Ed25519PrivateKey::FromPem(pem.view());
  ASSERT_TRUE(loaded.ok()) << loaded.status().ToString();
  EXPECT_EQ(loaded->PublicKey().Raw(), key->PublicKey().Raw());
  auto sig = loaded->Sign("m");
  ASSERT_TRUE(sig.ok());
  EXPECT_TRUE(key->PublicKey().Verify("m", *sig).ok());
}

TEST(Ed25519Test, RfcKeyPemIsStable) {
  const std::string pem = Ed25519PemFromSeedHex(kRfc8032Test1SecretHex);
  EXPECT_EQ(Rfc8032Key().ToPem().view(), pem);
}

TEST(Ed25519Test, PublicPemRoundTrip) {
  const Ed25519PublicKey pub = Rfc8032Key().PublicKey();
  const std::string pem = pub.ToPem();
  EXPECT_EQ(pem.rfind("-----BEGIN PUBLIC KEY-----", 0), 0u);
  auto loaded = Ed25519PublicKey::FromPem(pem);
  ASSERT_TRUE(loaded.ok()) << loaded.status().ToString();
  EXPECT_EQ(HexEncode(loaded->Raw()), kRfc8032Test1PublicHex);
  EXPECT_TRUE(loaded->Verify("", Unhex(kRfc8032Test1SignatureHex)).ok());
}

TEST(Ed25519Test, FromRawRejectsWrongSize) {
  EXPECT_EQ(Ed25519PublicKey::FromRaw("").status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(Ed25519PublicKey::FromRaw(std::string(31, 'a')).status().code(),
            StatusCode::kInvalidArgument);
  EXPECT_EQ(Ed25519PublicKey::FromRaw(std::string(33, 'a')).status().code(),
            StatusCode::kInvalidArgument);
}

TEST(Ed25519Test, FromPemRejectsGarbage) {
  EXPECT_EQ(Ed25519PrivateKey::FromPem("").status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(Ed25519PrivateKey::FromPem("not a pem").status().code(),
            StatusCode::kInvalidArgument);
  EXPECT_EQ(Ed25519PublicKey::FromPem("-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----\n")
                .status()
                .code(),
            StatusCode::kInvalidArgument);
  EXPECT_EQ(Ed25519PrivateKey::FromPem(std::string(20000, 'A')).status().code(),
            StatusCode::kInvalidArgument);
}

TEST(Ed25519Test, PrivateFromPemRejectsPublicPem) {
  const std::string pub_pem = Rfc8032Key().PublicKey().ToPem();
  EXPECT_EQ(Ed25519PrivateKey::FromPem(pub_pem).status().code(), StatusCode::kInvalidArgument);
}

TEST(Ed25519Test, PublicFromPemRejectsPrivatePem) {
  const std::string priv_pem = Ed25519PemFromSeedHex(kRfc8032Test1SecretHex);
  EXPECT_EQ(Ed25519PublicKey::FromPem(priv_pem).status().code(), StatusCode::kInvalidArgument);
}

class ForeignKeyTest : public ::testing::TestWithParam<const char*> {};

TEST_P(ForeignKeyTest, FromPemRejectsOtherKeyTypes) {
  const auto [priv_pem, pub_pem] = ForeignKeyPem(GetParam());
  ASSERT_FALSE(priv_pem.empty());
  ASSERT_FALSE(pub_pem.empty());
  EXPECT_EQ(Ed25519PrivateKey::FromPem(priv_pem).status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(Ed25519PublicKey::FromPem(pub_pem).status().code(), StatusCode::kInvalidArgument);
}

INSTANTIATE_TEST_SUITE_P(Types, ForeignKeyTest,
                         ::testing::Values("RSA", "EC", "X25519", "ED448"));

TEST(Ed25519Test, FromPemRejectsEncryptedKeyWithoutPrompting) {
  // `openssl genpkey -algorithm ed25519 -aes256 -pass pass:x` style key: the
  // loader must fail rather than ask for a passphrase.
  auto key = Ed25519PrivateKey::Generate();
  ASSERT_TRUE(key.ok());
  const SecretBytes plain = key->ToPem();
  BIO* in = BIO_new_mem_buf(plain.data(), static_cast<int>(plain.size()));
  EVP_PKEY* pkey = PEM_read_bio_PrivateKey(in, nullptr, nullptr, nullptr);
  BIO_free(in);
  ASSERT_NE(pkey, nullptr);
  BIO* out = BIO_new(BIO_s_mem());
  char pass[] = "x";
  ASSERT_EQ(PEM_write_bio_PKCS8PrivateKey(out, pkey, EVP_aes_256_cbc(), pass, 1, nullptr, nullptr),
            1);
  EVP_PKEY_free(pkey);
  char* data = nullptr;
  const long len = BIO_get_mem_data(out, &data);
  const std::string encrypted(data, static_cast<size_t>(len));
  BIO_free(out);
  ASSERT_NE(encrypted.find("ENCRYPTED"), std::string::npos);
  EXPECT_EQ(Ed25519PrivateKey::FromPem(encrypted).status().code(), StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace kura::crypto
