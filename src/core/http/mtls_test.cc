// Mutual TLS through HttpServer and HttpsClient.
#include <gtest/gtest.h>

#include "core/http/http_server.h"
#include "core/http/http_test_util.h"
#include "core/http/https_client.h"

namespace kura::http {
namespace {

using testing::GetTestPki;
using testing::TestClientOptions;
using testing::TestServerOptions;

// Reports the verified client certificate back to the caller.
HttpResponse WhoAmI(const HttpRequest& req) {
  if (!req.client_cert) return HttpResponse::Json(200, "anonymous");
  return HttpResponse::Json(200, req.client_cert->common_name + "|" + req.client_cert->subject +
                                     "|" + req.client_cert->sha256_fingerprint);
}

std::unique_ptr<HttpServer> StartMtlsServer(bool require) {
  HttpServerOptions options = TestServerOptions();
  options.tls.client_ca_file = GetTestPki().ca_file;
  options.tls.require_client_cert = require;
  auto server = HttpServer::Create(options, WhoAmI);
  EXPECT_TRUE(server.ok()) << server.status().ToString();
  if (!server.ok()) return nullptr;
  EXPECT_TRUE((*server)->Start().ok());
  return std::move(server).value();
}

std::unique_ptr<HttpsClient> Client(const std::string& cert, const std::string& key) {
  HttpsClientOptions options = TestClientOptions();
  options.client_cert_file = cert;
  options.client_key_file = key;
  auto client = HttpsClient::Create(options);
  EXPECT_TRUE(client.ok()) << client.status().ToString();
  return std::move(client).value();
}

TEST(MtlsTest, ClientCertReachesHandler) {
  auto server = StartMtlsServer(/*require=*/true);
  ASSERT_TRUE(server);
  auto client = Client(GetTestPki().client_cert_file, GetTestPki().client_key_file);
  auto r = client->Request("GET", "127.0.0.1", server->port(), "/whoami");
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->status, 200);
  const std::string prefix = "batch-job|CN=batch-job|";
  ASSERT_EQ(r->body.rfind(prefix, 0), 0u) << r->body;
  const std::string fingerprint = r->body.substr(prefix.size());
  EXPECT_EQ(fingerprint.size(), 64u);
  EXPECT_EQ(fingerprint.find_first_not_of("0123456789abcdef"), std::string::npos);
}

TEST(MtlsTest, ClientWithoutCertIsRefusedWhenRequired) {
  auto server = StartMtlsServer(/*require=*/true);
  ASSERT_TRUE(server);
  auto client = Client("", "");
  auto r = client->Request("GET", "127.0.0.1", server->port(), "/whoami");
  EXPECT_EQ(r.status().code(), StatusCode::kUnavailable);
  EXPECT_EQ(server->stats().requests, 0u);
}

TEST(MtlsTest, CertFromAnotherCaIsRefused) {
  for (bool require : {true, false}) {
    auto server = StartMtlsServer(require);
    ASSERT_TRUE(server);
    auto client =
        Client(GetTestPki().other_client_cert_file, GetTestPki().other_client_key_file);
    auto r = client->Request("GET", "127.0.0.1", server->port(), "/whoami");
    EXPECT_EQ(r.status().code(), StatusCode::kUnavailable) << "require=" << require;
    EXPECT_EQ(server->stats().requests, 0u);
  }
}

TEST(MtlsTest, OptionalClientCert) {
  auto server = StartMtlsServer(/*require=*/false);
  ASSERT_TRUE(server);
  auto anonymous = Client("", "");
  auto r = anonymous->Request("GET", "127.0.0.1", server->port(), "/whoami");
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->body, "anonymous");
  auto named = Client(GetTestPki().client_cert_file, GetTestPki().client_key_file);
  auto r2 = named->Request("GET", "127.0.0.1", server->port(), "/whoami");
  ASSERT_TRUE(r2.ok());
  EXPECT_EQ(r2->body.rfind("batch-job|", 0), 0u);
}

TEST(MtlsTest, NoClientCertsWithoutClientCa) {
  auto server = HttpServer::Create(TestServerOptions(), WhoAmI);
  ASSERT_TRUE(server.ok());
  ASSERT_TRUE((*server)->Start().ok());
  auto client = Client(GetTestPki().client_cert_file, GetTestPki().client_key_file);
  auto r = client->Request("GET", "127.0.0.1", (*server)->port(), "/whoami");
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->body, "anonymous");
}

}  // namespace
}  // namespace kura::http
