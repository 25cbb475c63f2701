#include "core/http/https_client.h"

#include <gtest/gtest.h>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>

#include "core/http/http_server.h"
#include "core/http/http_test_util.h"
#include "core/http/self_signed.h"

namespace kura::http {
namespace {

using testing::GetTestPki;
using testing::TestClientOptions;
using testing::TestServerOptions;

HttpResponse Ok(const HttpRequest&) { return HttpResponse::Json(200, "{}"); }

std::unique_ptr<HttpServer> Start(HttpServerOptions options) {
  auto server = HttpServer::Create(std::move(options), Ok);
  EXPECT_TRUE(server.ok()) << server.status().ToString();
  if (!server.ok()) return nullptr;
  EXPECT_TRUE((*server)->Start().ok());
  return std::move(server).value();
}

TEST(HttpsClientTest, CreateNeedsTrustAnchors) {
  EXPECT_EQ(HttpsClient::Create({}).status().code(), StatusCode::kInvalidArgument);
  HttpsClientOptions missing;
  missing.ca_file = "/nonexistent/ca.pem";
  EXPECT_EQ(HttpsClient::Create(missing).status().code(), StatusCode::kInvalidArgument);
}

TEST(HttpsClientTest, CaPemWorksLikeCaFile) {
  auto server = Start(TestServerOptions());
  ASSERT_TRUE(server);
  HttpsClientOptions options;
  // Trust the test CA through PEM text read from its file.
  FILE* f = fopen(GetTestPki().ca_file.c_str(), "rb");
  ASSERT_NE(f, nullptr);
  char buf[8192];
  const size_t n = fread(buf, 1, sizeof(buf), f);
  fclose(f);
  options.ca_pem.assign(buf, n);
  auto client = HttpsClient::Create(options);
  ASSERT_TRUE(client.ok());
  auto r = (*client)->Request("GET", "127.0.0.1", server->port(), "/");
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->status, 200);
}

TEST(HttpsClientTest, UntrustedServerIsRefused) {
  auto server = Start(TestServerOptions());
  ASSERT_TRUE(server);
  HttpsClientOptions options = TestClientOptions();
  options.ca_file = GetTestPki().other_ca_file;
  auto client = HttpsClient::Create(options);
  ASSERT_TRUE(client.ok());
  auto r = (*client)->Request("GET", "127.0.0.1", server->port(), "/");
  EXPECT_EQ(r.status().code(), StatusCode::kUnavailable);
  EXPECT_NE(r.status().message().find("certificate verify failed"), std::string::npos)
      << r.status().message();
}

TEST(HttpsClientTest, HostnameIsVerified) {
  // A server whose certificate names only example.test, reached at 127.0.0.1.
  auto certs = GenerateSelfSignedCert("example.test", {"example.test"}, {}, 1);
  ASSERT_TRUE(certs.ok());
  const std::string dir = testing::MakeTempDir();
  testing::WriteTestFile(dir + "/ca.pem", certs->ca_cert_pem);
  testing::WriteTestFile(dir + "/cert.pem", certs->cert_pem);
  testing::WriteTestFile(dir + "/key.pem", certs->key_pem.view());
  HttpServerOptions server_options = TestServerOptions();
  server_options.tls.cert_chain_file = dir + "/cert.pem";
  server_options.tls.private_key_file = dir + "/key.pem";
  auto server = Start(server_options);
  ASSERT_TRUE(server);

  HttpsClientOptions options;
  options.ca_file = dir + "/ca.pem";
  auto strict = HttpsClient::Create(options);
  ASSERT_TRUE(strict.ok());
  EXPECT_EQ((*strict)->Request("GET", "127.0.0.1", server->port(), "/").status().code(),
            StatusCode::kUnavailable);
  options.verify_hostname = false;
  auto lax = HttpsClient::Create(options);
  ASSERT_TRUE(lax.ok());
  auto r = (*lax)->Request("GET", "127.0.0.1", server->port(), "/");
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->status, 200);
}

TEST(HttpsClientTest, ConnectionRefused) {
  uint16_t port = 0;
  {
    boost::asio::io_context ioc;
    boost::asio::ip::tcp::acceptor acceptor(
        ioc, {boost::asio::ip::make_address("127.0.0.1"), 0});
    port = acceptor.local_endpoint().port();
  }
  auto client = HttpsClient::Create(TestClientOptions());
  ASSERT_TRUE(client.ok());
  auto r = (*client)->Request("GET", "127.0.0.1", port, "/");
  EXPECT_EQ(r.status().code(), StatusCode::kUnavailable);
  EXPECT_NE(r.status().message().find("127.0.0.1:" + std::to_string(port)), std::string::npos);
}

TEST(HttpsClientTest, RejectsBadRequests) {
  auto client = HttpsClient::Create(TestClientOptions());
  ASSERT_TRUE(client.ok());
  EXPECT_EQ((*client)->Request("FROB", "127.0.0.1", 1, "/").status().code(),
            StatusCode::kInvalidArgument);
  EXPECT_EQ((*client)->Request("GET", "127.0.0.1", 1, "no-slash").status().code(),
            StatusCode::kInvalidArgument);
  EXPECT_EQ((*client)->Request("GET", "127.0.0.1", 1, "/", {}, {{"X", "a\r\nB: c"}})
                .status()
                .code(),
            StatusCode::kInvalidArgument);
}

TEST(HttpsClientTest, ResponseBodyLimit) {
  HttpServerOptions server_options = TestServerOptions();
  auto server = HttpServer::Create(server_options, [](const HttpRequest&) {
    return HttpResponse::Json(200, std::string(10000, 'x'));
  });
  ASSERT_TRUE(server.ok());
  ASSERT_TRUE((*server)->Start().ok());
  HttpsClientOptions options = TestClientOptions();
  options.max_response_body_bytes = 100;
  auto client = HttpsClient::Create(options);
  ASSERT_TRUE(client.ok());
  EXPECT_EQ((*client)->Request("GET", "127.0.0.1", (*server)->port(), "/").status().code(),
            StatusCode::kResourceExhausted);
}

}  // namespace
}  // namespace kura::http
