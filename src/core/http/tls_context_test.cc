#include "core/http/tls_context.h"

#include <gtest/gtest.h>

#include "core/http/http_test_util.h"

namespace kura::http {
namespace {

using testing::GetTestPki;
using testing::WriteTestFile;

TEST(TlsContextTest, CreatesServerAndClient) {
  const auto& pki = GetTestPki();
  TlsServerOptions server;
  server.cert_chain_file = pki.cert_file;
  server.private_key_file = pki.key_file;
  auto s = TlsContext::CreateServer(server);
  ASSERT_TRUE(s.ok()) << s.status().ToString();
  EXPECT_FALSE((*s)->verifies_client_certs());
  SSL_CTX* ctx = (*s)->native_handle();
  EXPECT_EQ(SSL_CTX_get_min_proto_version(ctx), TLS1_2_VERSION);
  EXPECT_NE(SSL_CTX_get_options(ctx) & SSL_OP_NO_COMPRESSION, 0u);
  EXPECT_NE(SSL_CTX_get_options(ctx) & SSL_OP_NO_RENEGOTIATION, 0u);
  EXPECT_NE(SSL_CTX_get_options(ctx) & SSL_OP_NO_TICKET, 0u);
  EXPECT_NE(SSL_CTX_get_options(ctx) & SSL_OP_CIPHER_SERVER_PREFERENCE, 0u);
  EXPECT_NE(SSL_CTX_get_options(ctx) & SSL_OP_CLEANSE_PLAINTEXT, 0u);

  server.client_ca_file = pki.ca_file;
  auto m = TlsContext::CreateServer(server);
  ASSERT_TRUE(m.ok()) << m.status().ToString();
  EXPECT_TRUE((*m)->verifies_client_certs());

  TlsClientOptions client;
  client.ca_file = pki.ca_file;
  client.client_cert_file = pki.client_cert_file;
  client.client_key_file = pki.client_key_file;
  auto c = TlsContext::CreateClient(client);
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  EXPECT_NE(SSL_CTX_get_options((*c)->native_handle()) & SSL_OP_CLEANSE_PLAINTEXT, 0u);
}

TEST(TlsContextTest, Tls12CipherListIsEcdheAeadOnly) {
  const auto& pki = GetTestPki();
  TlsServerOptions server;
  server.cert_chain_file = pki.cert_file;
  server.private_key_file = pki.key_file;
  auto s = TlsContext::CreateServer(server);
  ASSERT_TRUE(s.ok());
  STACK_OF(SSL_CIPHER)* ciphers = SSL_CTX_get_ciphers((*s)->native_handle());
  ASSERT_NE(ciphers, nullptr);
  int tls12 = 0;
  for (int i = 0; i < sk_SSL_CIPHER_num(ciphers); ++i) {
    const SSL_CIPHER* c = sk_SSL_CIPHER_value(ciphers, i);
    if (std::string_view(SSL_CIPHER_get_name(c)).rfind("TLS_", 0) == 0) continue;  // TLS 1.3
    ++tls12;
    EXPECT_EQ(SSL_CIPHER_get_kx_nid(c), NID_kx_ecdhe) << SSL_CIPHER_get_name(c);
    EXPECT_TRUE(SSL_CIPHER_is_aead(c)) << SSL_CIPHER_get_name(c);
  }
  EXPECT_EQ(tls12, 6);
}

TEST(TlsContextTest, MissingOptions) {
  EXPECT_EQ(TlsContext::CreateServer({}).status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(TlsContext::CreateClient({}).status().code(), StatusCode::kInvalidArgument);
  TlsClientOptions half;
  half.ca_file = GetTestPki().ca_file;
  half.client_cert_file = GetTestPki().client_cert_file;
  EXPECT_EQ(TlsContext::CreateClient(half).status().code(), StatusCode::kInvalidArgument);
}

TEST(TlsContextTest, ErrorsNameTheFileButNotItsContents) {
  const auto& pki = GetTestPki();
  TlsServerOptions server;
  server.cert_chain_file = pki.dir + "/does-not-exist.pem";
  server.private_key_file = pki.key_file;
  Status st = TlsContext::CreateServer(server).status();
  EXPECT_EQ(st.code(), StatusCode::kInvalidArgument);
  EXPECT_NE(st.message().find("does-not-exist.pem"), std::string::npos);

  const std::string bad_key = pki.dir + "/garbage.key";
  WriteTestFile(bad_key, "-----BEGIN PRIVATE KEY-----\nSECRETMARKER\n-----END PRIVATE KEY-----\n");
  server.cert_chain_file = pki.cert_file;
  server.private_key_file = bad_key;
  st = TlsContext::CreateServer(server).status();
  EXPECT_EQ(st.code(), StatusCode::kInvalidArgument);
  EXPECT_NE(st.message().find("garbage.key"), std::string::npos);
  EXPECT_EQ(st.message().find("SECRETMARKER"), std::string::npos);
}

TEST(TlsContextTest, KeyMustMatchCertificate) {
  const auto& pki = GetTestPki();
  TlsServerOptions server;
  server.cert_chain_file = pki.cert_file;
  server.private_key_file = pki.client_key_file;
  Status st = TlsContext::CreateServer(server).status();
  EXPECT_EQ(st.code(), StatusCode::kInvalidArgument);
  EXPECT_NE(st.message().find(pki.client_key_file), std::string::npos) << st.message();
}

TEST(TlsContextTest, BadClientCa) {
  const auto& pki = GetTestPki();
  TlsServerOptions server;
  server.cert_chain_file = pki.cert_file;
  server.private_key_file = pki.key_file;
  server.client_ca_file = pki.dir + "/no-ca.pem";
  Status st = TlsContext::CreateServer(server).status();
  EXPECT_EQ(st.code(), StatusCode::kInvalidArgument);
  EXPECT_NE(st.message().find("no-ca.pem"), std::string::npos);
  TlsClientOptions client;
  client.ca_pem = "garbage";
  EXPECT_EQ(TlsContext::CreateClient(client).status().code(), StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace kura::http
