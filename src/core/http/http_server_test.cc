#include "core/http/http_server.h"

#include <gtest/gtest.h>
#include <openssl/err.h>
#include <openssl/ssl.h>

#include <atomic>
#include <boost/json.hpp>
#include <chrono>
#include <future>
#include <thread>

#include "core/http/http_test_util.h"
#include "core/http/https_client.h"
#include "core/http/json_error.h"
#include "core/http/router.h"

namespace kura::http {
namespace {

using namespace std::chrono_literals;
using testing::RawTlsClient;
using testing::TestClientOptions;
using testing::TestServerOptions;

std::string ErrorCode(const std::string& body) {
  boost::json::value v = boost::json::parse(body);
  return std::string(v.at("error").at("code").as_string());
}

const std::string* FindHeader(const HttpResponse& r, std::string_view name) {
  return r.Header(name);
}

// Echoes what the server handed to the handler.
HttpResponse Echo(const HttpRequest& req) {
  boost::json::object o;
  o["method"] = req.method;
  o["path"] = req.path;
  o["target"] = req.target;
  o["body"] = req.body;
  o["peer"] = req.peer;
  o["request_id"] = req.request_id;
  boost::json::object q;
  for (const auto& [k, v] : req.query) q[k] = v;
  o["query"] = std::move(q);
  boost::json::object h;
  for (const auto& [k, v] : req.headers) h[k] = v;
  o["headers"] = std::move(h);
  o["has_cert"] = req.client_cert.has_value();
  return HttpResponse::Json(200, boost::json::serialize(o));
}

std::unique_ptr<HttpServer> StartServer(HttpServerOptions options, Handler handler) {
  auto server = HttpServer::Create(std::move(options), std::move(handler));
  EXPECT_TRUE(server.ok()) << server.status().ToString();
  if (!server.ok()) return nullptr;
  Status st = (*server)->Start();
  EXPECT_TRUE(st.ok()) << st.ToString();
  EXPECT_NE((*server)->port(), 0);
  return std::move(server).value();
}

std::unique_ptr<HttpsClient> NewClient() {
  auto client = HttpsClient::Create(TestClientOptions());
  EXPECT_TRUE(client.ok()) << client.status().ToString();
  return std::move(client).value();
}

TEST(HttpServerTest, RoundTripWithKeepAlive) {
  auto server = StartServer(TestServerOptions(), Echo);
  ASSERT_TRUE(server);
  auto client = NewClient();
  auto r1 = client->Request("POST", "127.0.0.1", server->port(), "/v1/echo?a=1&b=x%20y", "hello",
                            {{"X-Custom", "v1"}, {"Content-Type", "text/plain"}});
  ASSERT_TRUE(r1.ok()) << r1.status().ToString();
  EXPECT_EQ(r1->status, 200);
  EXPECT_EQ(r1->content_type, "application/json");
  boost::json::value v = boost::json::parse(r1->body);
  EXPECT_EQ(v.at("method").as_string(), "POST");
  EXPECT_EQ(v.at("path").as_string(), "/v1/echo");
  EXPECT_EQ(v.at("target").as_string(), "/v1/echo?a=1&b=x%20y");
  EXPECT_EQ(v.at("body").as_string(), "hello");
  EXPECT_EQ(v.at("query").at("a").as_string(), "1");
  EXPECT_EQ(v.at("query").at("b").as_string(), "x y");
  EXPECT_EQ(v.at("headers").at("x-custom").as_string(), "v1");
  EXPECT_EQ(v.at("has_cert").as_bool(), false);
  EXPECT_EQ(std::string(v.at("peer").as_string()).rfind("127.0.0.1:", 0), 0u);
  const std::string id1(v.at("request_id").as_string());
  EXPECT_EQ(id1.size(), 32u);
  ASSERT_NE(FindHeader(*r1, "x-request-id"), nullptr);
  EXPECT_EQ(*FindHeader(*r1, "x-request-id"), id1);
  ASSERT_NE(FindHeader(*r1, "server"), nullptr);
  EXPECT_EQ(*FindHeader(*r1, "server"), "kura");
  ASSERT_NE(FindHeader(*r1, "cache-control"), nullptr);
  EXPECT_EQ(*FindHeader(*r1, "cache-control"), "no-store");

  auto r2 = client->Request("GET", "127.0.0.1", server->port(), "/second");
  ASSERT_TRUE(r2.ok()) << r2.status().ToString();
  EXPECT_EQ(r2->status, 200);
  boost::json::value v2 = boost::json::parse(r2->body);
  EXPECT_NE(std::string(v2.at("request_id").as_string()), id1);
  // Same connection, same peer port.
  EXPECT_EQ(client->connections_opened(), 1u);
  EXPECT_EQ(v2.at("peer").as_string(), v.at("peer").as_string());
  EXPECT_EQ(server->stats().requests, 2u);
  EXPECT_EQ(server->stats().connections_accepted, 1u);
}

TEST(HttpServerTest, RouterErrorsOverTheWire) {
  Router router;
  router.Add("GET", "/v1/cards/{token}", [](const HttpRequest& req) {
    return HttpResponse::Json(200, "{\"token\":\"" + req.path_params.at("token") + "\"}");
  });
  router.Add("DELETE", "/v1/cards/{token}", [](const HttpRequest&) {
    return HttpResponse::NoContent();
  });
  auto server = StartServer(TestServerOptions(), router.AsHandler());
  ASSERT_TRUE(server);
  auto client = NewClient();
  const uint16_t port = server->port();

  auto ok = client->Request("GET", "127.0.0.1", port, "/v1/cards/tok_1");
  ASSERT_TRUE(ok.ok());
  EXPECT_EQ(ok->body, R"({"token":"tok_1"})");

  auto none = client->Request("DELETE", "127.0.0.1", port, "/v1/cards/tok_1");
  ASSERT_TRUE(none.ok());
  EXPECT_EQ(none->status, 204);
  EXPECT_TRUE(none->body.empty());
  EXPECT_TRUE(none->content_type.empty());

  auto missing = client->Request("GET", "127.0.0.1", port, "/v2/nothing");
  ASSERT_TRUE(missing.ok());
  EXPECT_EQ(missing->status, 404);
  EXPECT_EQ(missing->content_type, "application/json");
  EXPECT_EQ(missing->body, R"({"error":{"code":"not_found","message":"no such resource"}})");

  auto wrong = client->Request("POST", "127.0.0.1", port, "/v1/cards/tok_1", "{}");
  ASSERT_TRUE(wrong.ok());
  EXPECT_EQ(wrong->status, 405);
  ASSERT_NE(FindHeader(*wrong, "allow"), nullptr);
  EXPECT_EQ(*FindHeader(*wrong, "allow"), "DELETE, GET");
  EXPECT_EQ(ErrorCode(wrong->body), "method_not_allowed");
  // Errors did not cost the connection.
  EXPECT_EQ(client->connections_opened(), 1u);
}

TEST(HttpServerTest, HandlerExceptionBecomes500) {
  auto server = StartServer(TestServerOptions(), [](const HttpRequest&) -> HttpResponse {
    throw std::runtime_error("boom with details");
  });
  ASSERT_TRUE(server);
  auto client = NewClient();
  auto r = client->Request("GET", "127.0.0.1", server->port(), "/");
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->status, 500);
  EXPECT_EQ(r->body, R"({"error":{"code":"internal","message":"internal error"}})");
}

TEST(HttpServerTest, HeaderInjectionFromHandlerIsDropped) {
  auto server = StartServer(TestServerOptions(), [](const HttpRequest&) {
    HttpResponse r = HttpResponse::Json(200, "{}");
    r.headers.emplace_back("X-Evil", "a\r\nSet-Cookie: x=1");
    r.headers.emplace_back("X-Good", "fine");
    return r;
  });
  ASSERT_TRUE(server);
  auto client = NewClient();
  auto r = client->Request("GET", "127.0.0.1", server->port(), "/");
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(FindHeader(*r, "x-evil"), nullptr);
  EXPECT_EQ(FindHeader(*r, "set-cookie"), nullptr);
  ASSERT_NE(FindHeader(*r, "x-good"), nullptr);
}

TEST(HttpServerTest, UnencodableResponseBecomes500) {
  auto server = StartServer(TestServerOptions(), [](const HttpRequest& req) {
    HttpResponse r = HttpResponse::Json(200, "{}");
    if (req.path == "/huge") r.headers.emplace_back("X-Huge", std::string(70000, 'h'));
    return r;
  });
  ASSERT_TRUE(server);
  auto client = NewClient();
  auto r = client->Request("GET", "127.0.0.1", server->port(), "/huge");
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->status, 500);
  EXPECT_EQ(r->body, R"({"error":{"code":"internal","message":"internal error"}})");
  EXPECT_EQ(FindHeader(*r, "x-huge"), nullptr);
  auto ok = client->Request("GET", "127.0.0.1", server->port(), "/fine");
  ASSERT_TRUE(ok.ok());
  EXPECT_EQ(ok->status, 200);
}

TEST(HttpServerTest, OversizedHeaderGets431) {
  auto server = StartServer(TestServerOptions(), Echo);
  ASSERT_TRUE(server);
  auto client = NewClient();
  // 64 KiB of header in four fields (Beast caps a single field at 64 KiB).
  const std::string quarter(16 * 1024, 'a');
  auto r = client->Request("GET", "127.0.0.1", server->port(), "/", {},
                           {{"X-A", quarter}, {"X-B", quarter}, {"X-C", quarter}, {"X-D", quarter}});
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->status, 431);
  EXPECT_EQ(ErrorCode(r->body), "header_too_large");
  ASSERT_NE(FindHeader(*r, "connection"), nullptr);
  EXPECT_EQ(*FindHeader(*r, "connection"), "close");
  EXPECT_EQ(server->stats().requests, 0u);
  // A header just under the limit is fine.
  auto ok = client->Request("GET", "127.0.0.1", server->port(), "/",
                            {}, {{"X-Big", std::string(4 * 1024, 'a')}});
  ASSERT_TRUE(ok.ok());
  EXPECT_EQ(ok->status, 200);
}

TEST(HttpServerTest, OversizedBodyGets413) {
  HttpServerOptions options = TestServerOptions();
  options.max_body_bytes = 1024;
  auto server = StartServer(options, Echo);
  ASSERT_TRUE(server);
  auto client = NewClient();
  auto r = client->Request("POST", "127.0.0.1", server->port(), "/", std::string(100 * 1024, 'x'));
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->status, 413);
  EXPECT_EQ(ErrorCode(r->body), "body_too_large");
  EXPECT_EQ(server->stats().requests, 0u);
  auto ok = client->Request("POST", "127.0.0.1", server->port(), "/", std::string(1024, 'x'));
  ASSERT_TRUE(ok.ok());
  EXPECT_EQ(ok->status, 200);
}

TEST(HttpServerTest, MalformedRequestGets400) {
  auto server = StartServer(TestServerOptions(), Echo);
  ASSERT_TRUE(server);
  RawTlsClient raw(0, 0, "");
  ASSERT_FALSE(raw.Connect(server->port()));
  ASSERT_FALSE(raw.Write("GET / HTTP/1.1\r\nHost: x\r\nBad Header\r\n\r\n"));
  boost::system::error_code ec;
  const std::string reply = raw.ReadAll(ec);
  EXPECT_EQ(reply.rfind("HTTP/1.1 400", 0), 0u) << reply;
  EXPECT_NE(reply.find(R"({"error":{"code":"bad_request")"), std::string::npos);
  EXPECT_EQ(server->stats().error_responses, 1u);
}

TEST(HttpServerTest, SlowlorisIsDisconnectedAfterRequestTimeout) {
  HttpServerOptions options = TestServerOptions();
  options.request_timeout = 300ms;
  auto server = StartServer(options, Echo);
  ASSERT_TRUE(server);
  RawTlsClient raw(0, 0, "");
  ASSERT_FALSE(raw.Connect(server->port()));
  const std::string request =
      "GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Padding: " + std::string(100, 'p') + "\r\n\r\n";
  const auto start = std::chrono::steady_clock::now();
  size_t sent = 0;
  boost::system::error_code ec;
  for (; sent < request.size(); ++sent) {
    ec = raw.Write(std::string_view(request).substr(sent, 1));
    if (ec) break;
    std::this_thread::sleep_for(20ms);  // the client is slow on purpose
  }
  const auto elapsed = std::chrono::steady_clock::now() - start;
  EXPECT_TRUE(ec) << "server never disconnected the slow client";
  EXPECT_LT(sent, request.size());
  EXPECT_GE(elapsed, 250ms);
  EXPECT_LT(elapsed, 2000ms);
  EXPECT_EQ(server->stats().requests, 0u);
}

TEST(HttpServerTest, IdleKeepAliveConnectionIsClosedAndClientReconnects) {
  HttpServerOptions options = TestServerOptions();
  options.idle_timeout = 100ms;
  auto server = StartServer(options, Echo);
  ASSERT_TRUE(server);
  auto client = NewClient();
  ASSERT_TRUE(client->Request("GET", "127.0.0.1", server->port(), "/").ok());
  // Wait (bounded) for the server to drop the idle connection.
  for (int i = 0; i < 100 && server->stats().active_connections != 0; ++i) {
    std::this_thread::sleep_for(20ms);
  }
  EXPECT_EQ(server->stats().active_connections, 0u);
  auto r = client->Request("GET", "127.0.0.1", server->port(), "/");
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->status, 200);
  EXPECT_EQ(client->connections_opened(), 2u);
}

// OpenSSL's reason code for a failed handshake (from an Asio ssl error).
int SslReason(const boost::system::error_code& ec) {
  return ec.category() == boost::asio::error::get_ssl_category() ? ERR_GET_REASON(ec.value())
                                                                  : -1;
}

TEST(HttpServerTest, RefusesTls11) {
  auto server = StartServer(TestServerOptions(), Echo);
  ASSERT_TRUE(server);
  // SECLEVEL=0 so that the client really offers TLS 1.1 and the refusal
  // comes from the server.
  RawTlsClient raw(TLS1_1_VERSION, TLS1_1_VERSION, "DEFAULT:@SECLEVEL=0");
  boost::system::error_code ec = raw.Connect(server->port());
  ASSERT_TRUE(ec);
  EXPECT_EQ(SslReason(ec), SSL_R_TLSV1_ALERT_PROTOCOL_VERSION) << ec.message();
}

TEST(HttpServerTest, RefusesCbcCiphersOnTls12) {
  auto server = StartServer(TestServerOptions(), Echo);
  ASSERT_TRUE(server);
  RawTlsClient raw(TLS1_2_VERSION, TLS1_2_VERSION,
                   "ECDHE-RSA-AES128-SHA:ECDHE-ECDSA-AES128-SHA:ECDHE-ECDSA-AES256-SHA384");
  boost::system::error_code ec = raw.Connect(server->port());
  ASSERT_TRUE(ec);
  EXPECT_EQ(SslReason(ec), SSL_R_SSLV3_ALERT_HANDSHAKE_FAILURE) << ec.message();
}

TEST(HttpServerTest, AcceptsTls12AeadAndTls13) {
  auto server = StartServer(TestServerOptions(), Echo);
  ASSERT_TRUE(server);
  RawTlsClient tls12(TLS1_2_VERSION, TLS1_2_VERSION, "ECDHE-ECDSA-AES128-GCM-SHA256");
  ASSERT_FALSE(tls12.Connect(server->port()));
  EXPECT_EQ(tls12.Protocol(), "TLSv1.2");
  RawTlsClient tls13(TLS1_3_VERSION, 0, "");
  ASSERT_FALSE(tls13.Connect(server->port()));
  EXPECT_EQ(tls13.Protocol(), "TLSv1.3");
}

TEST(HttpServerTest, MaxConnectionsEnforced) {
  HttpServerOptions options = TestServerOptions();
  options.max_connections = 2;
  auto server = StartServer(options, Echo);
  ASSERT_TRUE(server);
  auto a = NewClient();
  auto b = NewClient();
  ASSERT_TRUE(a->Request("GET", "127.0.0.1", server->port(), "/").ok());
  ASSERT_TRUE(b->Request("GET", "127.0.0.1", server->port(), "/").ok());
  EXPECT_EQ(server->stats().active_connections, 2u);

  auto c = NewClient();
  auto refused = c->Request("GET", "127.0.0.1", server->port(), "/");
  EXPECT_EQ(refused.status().code(), StatusCode::kUnavailable);
  EXPECT_EQ(server->stats().connections_rejected, 1u);

  // Freeing a slot lets the next client in.
  a->Close();
  for (int i = 0; i < 100 && server->stats().active_connections > 1; ++i) {
    std::this_thread::sleep_for(10ms);
  }
  auto admitted = c->Request("GET", "127.0.0.1", server->port(), "/");
  ASSERT_TRUE(admitted.ok()) << admitted.status().ToString();
  EXPECT_EQ(admitted->status, 200);
}

TEST(HttpServerTest, GracefulShutdownFinishesInFlightRequest) {
  std::promise<void> entered;
  std::atomic<bool> entered_once{false};
  auto server = StartServer(TestServerOptions(), [&](const HttpRequest& req) {
    if (req.path == "/slow") {
      if (!entered_once.exchange(true)) entered.set_value();
      std::this_thread::sleep_for(200ms);  // a blocking handler, as in the vault
    }
    return HttpResponse::Json(200, "{\"done\":true}");
  });
  ASSERT_TRUE(server);
  const uint16_t port = server->port();

  // An idle keep-alive connection must not hold up shutdown.
  auto idle = NewClient();
  ASSERT_TRUE(idle->Request("GET", "127.0.0.1", port, "/fast").ok());

  auto slow_result = std::async(std::launch::async, [port] {
    auto client = NewClient();
    return client->Request("GET", "127.0.0.1", port, "/slow");
  });
  entered.get_future().wait();
  const auto start = std::chrono::steady_clock::now();
  auto shutdown = std::async(std::launch::async, [&server] { server->Shutdown(); });

  // New connections are refused once the acceptor is closed.
  bool refused = false;
  for (int i = 0; i < 100 && !refused; ++i) {
    RawTlsClient probe(0, 0, "");
    refused = probe.ConnectTcp(port) == boost::asio::error::connection_refused;
    if (!refused) std::this_thread::sleep_for(5ms);
  }
  EXPECT_TRUE(refused);

  Result<HttpResponse> slow = slow_result.get();
  ASSERT_TRUE(slow.ok()) << slow.status().ToString();
  EXPECT_EQ(slow->status, 200);
  EXPECT_EQ(slow->body, "{\"done\":true}");
  ASSERT_NE(slow->Header("connection"), nullptr);
  EXPECT_EQ(*slow->Header("connection"), "close");
  shutdown.get();
  // Well within the 2 s grace: nothing waited for the idle connection.
  EXPECT_LT(std::chrono::steady_clock::now() - start, 1500ms);
  EXPECT_EQ(server->stats().active_connections, 0u);
}

// Inline requests run on the I/O thread: they are answered even while every
// handler-pool thread is blocked, and they are counted.
TEST(HttpServerTest, InlineRequestsBypassABlockedHandlerPool) {
  HttpServerOptions options = TestServerOptions();
  options.handler_threads = 1;
  std::promise<void> release;
  std::shared_future<void> released = release.get_future().share();
  std::promise<void> entered;
  Router router;
  router.Add("GET", "/block", [&](const HttpRequest&) {
    entered.set_value();
    released.wait();  // holds the only handler-pool thread
    return HttpResponse::Json(200, "{\"blocked\":true}");
  });
  router.Add("GET", "/fast/{id}", [](const HttpRequest& req) {
    return HttpResponse::Json(200, "{\"id\":\"" + req.path_params.at("id") + "\"}");
  }, RouteMode::kInline);
  auto created = HttpServer::Create(options, router.AsHandler(), router.AsInlinePolicy());
  ASSERT_TRUE(created.ok()) << created.status().ToString();
  std::unique_ptr<HttpServer> server = std::move(created).value();
  ASSERT_TRUE(server->Start().ok());
  const uint16_t port = server->port();

  auto blocked = std::async(std::launch::async, [port] {
    return NewClient()->Request("GET", "127.0.0.1", port, "/block");
  });
  entered.get_future().wait();

  auto client = NewClient();
  for (int i = 0; i < 3; ++i) {
    Result<HttpResponse> r = client->Request("GET", "127.0.0.1", port, "/fast/" + std::to_string(i));
    ASSERT_TRUE(r.ok()) << r.status().ToString();
    EXPECT_EQ(r->status, 200);
    EXPECT_EQ(r->body, "{\"id\":\"" + std::to_string(i) + "\"}");
    ASSERT_NE(r->Header("x-request-id"), nullptr);  // same response decoration as pooled ones
    ASSERT_NE(r->Header("cache-control"), nullptr);
  }
  // The router's own 404 is answered inline as well.
  Result<HttpResponse> missing = client->Request("GET", "127.0.0.1", port, "/nope");
  ASSERT_TRUE(missing.ok());
  EXPECT_EQ(missing->status, 404);
  EXPECT_EQ(blocked.wait_for(0ms), std::future_status::timeout);  // still blocked

  release.set_value();
  Result<HttpResponse> b = blocked.get();
  ASSERT_TRUE(b.ok()) << b.status().ToString();
  EXPECT_EQ(b->status, 200);
  const HttpServerStats stats = server->stats();
  EXPECT_EQ(stats.requests, 5u);
  EXPECT_EQ(stats.inline_requests, 4u);
}

// A policy that throws sends the request to the handler pool; a handler that
// throws inline becomes a 500 like on the pool.
TEST(HttpServerTest, InlinePolicyAndHandlerExceptions) {
  auto created = HttpServer::Create(
      TestServerOptions(),
      [](const HttpRequest& req) -> HttpResponse {
        if (req.path == "/throw") throw std::runtime_error("boom 4111111111111111");
        return HttpResponse::Json(200, "{}");
      },
      [](const HttpRequest& req) -> bool {
        if (req.path == "/policy-throws") throw std::runtime_error("policy");
        return true;
      });
  ASSERT_TRUE(created.ok());
  std::unique_ptr<HttpServer> server = std::move(created).value();
  ASSERT_TRUE(server->Start().ok());
  auto client = NewClient();
  Result<HttpResponse> pooled = client->Request("GET", "127.0.0.1", server->port(), "/policy-throws");
  ASSERT_TRUE(pooled.ok());
  EXPECT_EQ(pooled->status, 200);
  Result<HttpResponse> thrown = client->Request("GET", "127.0.0.1", server->port(), "/throw");
  ASSERT_TRUE(thrown.ok());
  EXPECT_EQ(thrown->status, 500);
  EXPECT_EQ(thrown->body.find("4111"), std::string::npos);
  EXPECT_EQ(server->stats().requests, 2u);
  EXPECT_EQ(server->stats().inline_requests, 1u);
}

TEST(HttpServerTest, CreateAndStartErrors) {
  EXPECT_EQ(HttpServer::Create(TestServerOptions(), nullptr).status().code(),
            StatusCode::kInvalidArgument);
  HttpServerOptions zero = TestServerOptions();
  zero.max_body_bytes = 0;
  EXPECT_EQ(HttpServer::Create(zero, Echo).status().code(), StatusCode::kInvalidArgument);
  HttpServerOptions threads = TestServerOptions();
  threads.handler_threads = 0;
  EXPECT_EQ(HttpServer::Create(threads, Echo).status().code(), StatusCode::kInvalidArgument);
  HttpServerOptions bad_tls = TestServerOptions();
  bad_tls.tls.private_key_file = "/nonexistent/key.pem";
  EXPECT_EQ(HttpServer::Create(bad_tls, Echo).status().code(), StatusCode::kInvalidArgument);

  HttpServerOptions bad_addr = TestServerOptions();
  bad_addr.address = "not-an-ip";
  auto s = HttpServer::Create(bad_addr, Echo);
  ASSERT_TRUE(s.ok());
  EXPECT_EQ((*s)->Start().code(), StatusCode::kInvalidArgument);

  auto first = StartServer(TestServerOptions(), Echo);
  ASSERT_TRUE(first);
  EXPECT_EQ(first->Start().code(), StatusCode::kFailedPrecondition);
  HttpServerOptions same_port = TestServerOptions();
  same_port.port = first->port();
  auto second = HttpServer::Create(same_port, Echo);
  ASSERT_TRUE(second.ok());
  Status st = (*second)->Start();
  EXPECT_EQ(st.code(), StatusCode::kUnavailable);
  EXPECT_NE(st.message().find("127.0.0.1:" + std::to_string(first->port())), std::string::npos);
}

}  // namespace
}  // namespace kura::http
