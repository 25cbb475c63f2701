#include "core/http/self_signed.h"

#include <gtest/gtest.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <memory>

namespace kura::http {
namespace {

struct X509Deleter {
  void operator()(X509* x) const { X509_free(x); }
};
using X509Ptr = std::unique_ptr<X509, X509Deleter>;

X509Ptr ParseCert(const std::string& pem) {
  BIO* bio = BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size()));
  X509Ptr cert(PEM_read_bio_X509(bio, nullptr, nullptr, nullptr));
  BIO_free(bio);
  return cert;
}

bool KeyMatches(X509* cert, const SecretBytes& key_pem) {
  BIO* bio = BIO_new_mem_buf(key_pem.data(), static_cast<int>(key_pem.size()));
  EVP_PKEY* key = PEM_read_bio_PrivateKey(bio, nullptr, nullptr, nullptr);
  BIO_free(bio);
  const bool ok = key != nullptr && X509_check_private_key(cert, key) == 1;
  EVP_PKEY_free(key);
  return ok;
}

// Verifies `leaf` against `ca` for `purpose`.
bool Verifies(X509* ca, X509* leaf, int purpose) {
  X509_STORE* store = X509_STORE_new();
  X509_STORE_add_cert(store, ca);
  X509_STORE_CTX* ctx = X509_STORE_CTX_new();
  X509_STORE_CTX_init(ctx, store, leaf, nullptr);
  X509_STORE_CTX_set_purpose(ctx, purpose);
  const bool ok = X509_verify_cert(ctx) == 1;
  X509_STORE_CTX_free(ctx);
  X509_STORE_free(store);
  return ok;
}

TEST(SelfSignedTest, ServerCertChainsToCaWithSans) {
  auto certs = GenerateSelfSignedCert("vault.local", {"vault.local", "localhost"},
                                      {"127.0.0.1", "::1"}, 30);
  ASSERT_TRUE(certs.ok()) << certs.status().ToString();
  X509Ptr ca = ParseCert(certs->ca_cert_pem);
  X509Ptr leaf = ParseCert(certs->cert_pem);
  ASSERT_TRUE(ca && leaf);
  EXPECT_TRUE(KeyMatches(ca.get(), certs->ca_key_pem));
  EXPECT_TRUE(KeyMatches(leaf.get(), certs->key_pem));
  EXPECT_FALSE(KeyMatches(leaf.get(), certs->ca_key_pem));
  EXPECT_EQ(X509_check_ca(ca.get()), 1);
  EXPECT_EQ(X509_check_ca(leaf.get()), 0);
  EXPECT_TRUE(Verifies(ca.get(), leaf.get(), X509_PURPOSE_SSL_SERVER));
  EXPECT_EQ(X509_check_host(leaf.get(), "vault.local", 0, 0, nullptr), 1);
  EXPECT_EQ(X509_check_host(leaf.get(), "localhost", 0, 0, nullptr), 1);
  EXPECT_EQ(X509_check_host(leaf.get(), "evil.example", 0, 0, nullptr), 0);
  EXPECT_EQ(X509_check_ip_asc(leaf.get(), "127.0.0.1", 0), 1);
  EXPECT_EQ(X509_check_ip_asc(leaf.get(), "::1", 0), 1);
  EXPECT_EQ(X509_check_ip_asc(leaf.get(), "10.0.0.1", 0), 0);
  // ECDSA P-256.
  EVP_PKEY* pub = X509_get0_pubkey(leaf.get());
  EXPECT_EQ(EVP_PKEY_get_base_id(pub), EVP_PKEY_EC);
  EXPECT_EQ(EVP_PKEY_get_bits(pub), 256);
  EXPECT_NE(certs->key_pem.view().find("BEGIN PRIVATE KEY"), std::string_view::npos);
}

TEST(SelfSignedTest, FreshKeysEachTime) {
  auto a = GenerateSelfSignedCert("x", {}, {}, 1);
  auto b = GenerateSelfSignedCert("x", {}, {}, 1);
  ASSERT_TRUE(a.ok() && b.ok());
  EXPECT_NE(a->key_pem.view(), b->key_pem.view());
  EXPECT_NE(a->cert_pem, b->cert_pem);
}

TEST(SelfSignedTest, ClientCertIsForClientAuthOnly) {
  auto certs = GenerateSelfSignedCert("localhost", {"localhost"}, {}, 30);
  ASSERT_TRUE(certs.ok());
  auto client = IssueClientCert(*certs, "batch-job");
  ASSERT_TRUE(client.ok()) << client.status().ToString();
  X509Ptr ca = ParseCert(certs->ca_cert_pem);
  X509Ptr leaf = ParseCert(client->cert_pem);
  ASSERT_TRUE(leaf);
  EXPECT_TRUE(KeyMatches(leaf.get(), client->key_pem));
  EXPECT_TRUE(Verifies(ca.get(), leaf.get(), X509_PURPOSE_SSL_CLIENT));
  EXPECT_FALSE(Verifies(ca.get(), leaf.get(), X509_PURPOSE_SSL_SERVER));
  char cn[64] = {};
  X509_NAME_get_text_by_NID(X509_get_subject_name(leaf.get()), NID_commonName, cn, sizeof(cn));
  EXPECT_STREQ(cn, "batch-job");
}

TEST(SelfSignedTest, RejectsBadArguments) {
  EXPECT_EQ(GenerateSelfSignedCert("", {}, {}, 1).status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(GenerateSelfSignedCert("x", {}, {}, 0).status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(GenerateSelfSignedCert("x", {}, {}, kMaxCertDays + 1).status().code(),
            StatusCode::kInvalidArgument);
  EXPECT_EQ(GenerateSelfSignedCert("x", {}, {"300.1.1.1"}, 1).status().code(),
            StatusCode::kInvalidArgument);
  EXPECT_EQ(GenerateSelfSignedCert("x", {"a,IP:1.2.3.4"}, {}, 1).status().code(),
            StatusCode::kInvalidArgument);
  SelfSignedCert bogus;
  bogus.ca_cert_pem = "not a cert";
  EXPECT_EQ(IssueClientCert(bogus, "c").status().code(), StatusCode::kInvalidArgument);
  auto certs = GenerateSelfSignedCert("x", {}, {}, 1);
  ASSERT_TRUE(certs.ok());
  EXPECT_EQ(IssueClientCert(*certs, "").status().code(), StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace kura::http
