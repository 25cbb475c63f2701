// Deferred routes: answered later, from another thread, through a Responder
// (http_types.h), with no thread waiting in between.
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <deque>
#include <future>
#include <mutex>
#include <stdexcept>
#include <thread>

#include "core/http/http_server.h"
#include "core/http/http_test_util.h"
#include "core/http/https_client.h"
#include "core/http/router.h"

namespace kura::http {
namespace {

using namespace std::chrono_literals;
using testing::TestClientOptions;
using testing::TestServerOptions;

std::unique_ptr<HttpsClient> NewClient() {
  auto client = HttpsClient::Create(TestClientOptions());
  EXPECT_TRUE(client.ok()) << client.status().ToString();
  return std::move(client).value();
}

// Answers queued responders on its own thread, like the vault's database
// writer completing a group commit.
class Completer {
 public:
  Completer() : thread_([this] { Run(); }) {}
  ~Completer() {
    {
      std::lock_guard<std::mutex> lock(mu_);
      stop_ = true;
    }
    cv_.notify_all();
    thread_.join();
  }
  void Add(std::function<void()> work) {
    {
      std::lock_guard<std::mutex> lock(mu_);
      queue_.push_back(std::move(work));
    }
    cv_.notify_all();
  }
  std::thread::id id() const { return thread_.get_id(); }

 private:
  void Run() {
    std::unique_lock<std::mutex> lock(mu_);
    for (;;) {
      cv_.wait(lock, [this] { return stop_ || !queue_.empty(); });
      if (queue_.empty()) return;
      std::function<void()> work = std::move(queue_.front());
      queue_.pop_front();
      lock.unlock();
      work();
      lock.lock();
    }
  }
  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<std::function<void()>> queue_;
  bool stop_ = false;
  std::thread thread_;
};

struct Started {
  std::unique_ptr<HttpServer> server;
  uint16_t port = 0;
};

Started Start(const Router& router, HttpServerOptions options = TestServerOptions()) {
  auto created = HttpServer::Create(options, router.AsHandler(), router.AsInlinePolicy(),
                                    router.AsDeferredHandler(), router.AsDeferredPolicy());
  EXPECT_TRUE(created.ok()) << created.status().ToString();
  if (!created.ok()) return {};
  Started s;
  s.server = std::move(created).value();
  EXPECT_TRUE(s.server->Start().ok());
  s.port = s.server->port();
  return s;
}

// Deferred requests are answered by another thread while the only
// handler-pool thread is blocked; the answer's build function runs on the
// I/O thread, not on the completing one.
TEST(DeferredResponseTest, AnsweredFromAnotherThreadWhileThePoolIsBlocked) {
  HttpServerOptions options = TestServerOptions();
  options.handler_threads = 1;
  Completer completer;
  std::promise<void> release;
  std::shared_future<void> released = release.get_future().share();
  std::promise<void> entered;
  std::atomic<int> built_on_completer{0};
  Router router;
  router.Add("GET", "/block", [&](const HttpRequest&) {
    entered.set_value();
    released.wait();
    return HttpResponse::Json(200, "{}");
  });
  router.AddDeferred("POST", "/later/{id}", [&](const HttpRequest& req, Responder responder) {
    const std::string id = req.path_params.at("id");  // the request is gone after return
    const std::string body = req.body;
    completer.Add([&, id, body, responder] {
      responder.Send([&, id, body] {
        if (std::this_thread::get_id() == completer.id()) built_on_completer.fetch_add(1);
        return HttpResponse::Json(201, "{\"id\":\"" + id + "\",\"body\":\"" + body + "\"}");
      });
    });
  });
  Started s = Start(router, options);
  ASSERT_TRUE(s.server);
  auto blocked = std::async(std::launch::async, [port = s.port] {
    return NewClient()->Request("GET", "127.0.0.1", port, "/block");
  });
  entered.get_future().wait();

  std::vector<std::future<void>> clients;
  for (int c = 0; c < 3; ++c) {
    clients.push_back(std::async(std::launch::async, [c, port = s.port] {
      auto client = NewClient();
      for (int i = 0; i < 5; ++i) {
        const std::string id = std::to_string(c) + "-" + std::to_string(i);
        Result<HttpResponse> r = client->Request("POST", "127.0.0.1", port, "/later/" + id, "b" + id);
        ASSERT_TRUE(r.ok()) << r.status().ToString();
        EXPECT_EQ(r->status, 201);
        EXPECT_EQ(r->body, "{\"id\":\"" + id + "\",\"body\":\"b" + id + "\"}");
        ASSERT_NE(r->Header("x-request-id"), nullptr);
      }
    }));
  }
  for (auto& c : clients) c.get();
  EXPECT_EQ(blocked.wait_for(0ms), std::future_status::timeout);  // the pool is still blocked
  release.set_value();
  ASSERT_TRUE(blocked.get().ok());
  EXPECT_EQ(built_on_completer.load(), 0);
  const HttpServerStats stats = s.server->stats();
  EXPECT_EQ(stats.requests, 16u);
  EXPECT_EQ(stats.deferred_requests, 15u);
}

// A responder dropped without an answer, a handler that throws and a build
// function that throws all become a 500 without the exception's text; a
// second Send is ignored.
TEST(DeferredResponseTest, LostAnswersBecome500AndOnlyTheFirstSendCounts) {
  Completer completer;
  Router router;
  router.AddDeferred("GET", "/dropped", [](const HttpRequest&, Responder) {});
  router.AddDeferred("GET", "/dropped-later", [&](const HttpRequest&, Responder responder) {
    completer.Add([responder] { (void)responder; });
  });
  router.AddDeferred("GET", "/throws", [](const HttpRequest&, Responder) {
    throw std::runtime_error("handler 4111111111111111");
  });
  router.AddDeferred("GET", "/build-throws", [](const HttpRequest&, Responder responder) {
    responder.Send([]() -> HttpResponse { throw std::runtime_error("build 4111111111111111"); });
  });
  std::atomic<int> second_sends{0};
  router.AddDeferred("GET", "/twice", [&](const HttpRequest&, Responder responder) {
    responder.Send(HttpResponse::Json(200, "{\"first\":true}"));
    completer.Add([responder, &second_sends] {
      responder.Send(HttpResponse::Json(200, "{\"second\":true}"));
      second_sends.fetch_add(1);
    });
  });
  Started s = Start(router);
  ASSERT_TRUE(s.server);
  auto client = NewClient();
  for (const char* path : {"/dropped", "/dropped-later", "/throws", "/build-throws"}) {
    Result<HttpResponse> r = client->Request("GET", "127.0.0.1", s.port, path);
    ASSERT_TRUE(r.ok()) << path << ": " << r.status().ToString();
    EXPECT_EQ(r->status, 500) << path;
    EXPECT_EQ(r->body.find("4111"), std::string::npos) << path;
  }
  for (int i = 0; i < 3; ++i) {
    Result<HttpResponse> r = client->Request("GET", "127.0.0.1", s.port, "/twice");
    ASSERT_TRUE(r.ok()) << r.status().ToString();
    EXPECT_EQ(r->body, "{\"first\":true}");
    // The second Send has happened before the next request goes out: had
    // it written anything, the next read would get it.
    while (second_sends.load() < i + 1) std::this_thread::sleep_for(1ms);
  }
  // The connection is still in step: a late second answer wrote nothing.
  Result<HttpResponse> r = client->Request("GET", "127.0.0.1", s.port, "/nope");
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->status, 404);
}

// Shutdown lets a deferred request that is waiting for its answer finish.
TEST(DeferredResponseTest, GracefulShutdownWaitsForADeferredAnswer) {
  Completer completer;
  std::promise<void> entered;
  Router router;
  router.AddDeferred("GET", "/slow", [&](const HttpRequest&, Responder responder) {
    entered.set_value();
    completer.Add([responder] {
      std::this_thread::sleep_for(200ms);  // a slow commit
      responder.Send(HttpResponse::Json(200, "{\"done\":true}"));
    });
  });
  Started s = Start(router);
  ASSERT_TRUE(s.server);
  auto slow = std::async(std::launch::async, [port = s.port] {
    return NewClient()->Request("GET", "127.0.0.1", port, "/slow");
  });
  entered.get_future().wait();
  s.server->Shutdown();
  Result<HttpResponse> r = slow.get();
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->status, 200);
  EXPECT_EQ(r->body, "{\"done\":true}");
  ASSERT_NE(r->Header("connection"), nullptr);
  EXPECT_EQ(*r->Header("connection"), "close");
}

// An answer that comes after shutdown gave up waiting (work outlived the
// grace period) still runs its build function — the vault audits a stored
// card there — although the response can no longer be sent.
TEST(DeferredResponseTest, ABuildRunsEvenWhenItsAnswerComesAfterShutdown) {
  Completer completer;
  std::promise<void> entered;
  std::promise<void> answered;
  std::promise<void> may_answer;
  std::shared_future<void> allowed = may_answer.get_future().share();
  std::atomic<int> built{0};
  Router router;
  router.AddDeferred("GET", "/stuck", [&](const HttpRequest&, Responder responder) {
    entered.set_value();
    completer.Add([&, responder] {
      allowed.wait();  // a commit stuck past the shutdown
      responder.Send([&built] {
        built.fetch_add(1);
        return HttpResponse::Json(200, "{}");
      });
      answered.set_value();
    });
  });
  HttpServerOptions options = TestServerOptions();
  options.shutdown_grace = 50ms;
  Started s = Start(router, options);
  ASSERT_TRUE(s.server);
  auto stuck = std::async(std::launch::async, [port = s.port] {
    return NewClient()->Request("GET", "127.0.0.1", port, "/stuck");
  });
  entered.get_future().wait();
  s.server->Shutdown();
  EXPECT_FALSE(stuck.get().ok());  // the connection was closed without an answer
  may_answer.set_value();
  answered.get_future().wait();
  s.server.reset();
  EXPECT_EQ(built.load(), 1);
}

// Without deferred support (Router::Dispatch, e.g. through AsHandler), a
// deferred route is waited for; DispatchDeferred answers ordinary routes
// and the router's 404 through the responder.
TEST(DeferredResponseTest, RouterDispatchesBothWays) {
  Completer completer;
  Router router;
  router.AddDeferred("GET", "/d/{x}", [&](const HttpRequest& req, Responder responder) {
    completer.Add([x = req.path_params.at("x"), responder] {
      responder.Send(HttpResponse::Json(200, "{\"x\":\"" + x + "\"}"));
    });
  });
  router.Add("GET", "/plain", [](const HttpRequest&) { return HttpResponse::Json(200, "{}"); });
  HttpRequest req;
  req.method = "GET";
  req.path = "/d/7";
  EXPECT_TRUE(router.IsDeferred(req));
  EXPECT_FALSE(router.RunsInline(req));
  EXPECT_EQ(router.Dispatch(req).body, "{\"x\":\"7\"}");
  req.path = "/e/7";  // the shape of the deferred route, but another path
  EXPECT_FALSE(router.IsDeferred(req));
  req.path = "/d/7/";  // one segment more
  EXPECT_FALSE(router.IsDeferred(req));
  req.path = "/d/7";
  req.method = "POST";
  EXPECT_FALSE(router.IsDeferred(req));
  req.method = "GET";

  std::vector<HttpResponse> answers;
  auto collect = [&answers](std::function<HttpResponse()> build) { answers.push_back(build()); };
  req.path = "/plain";
  EXPECT_FALSE(router.IsDeferred(req));
  router.DispatchDeferred(req, Responder(collect));
  req.path = "/missing";
  EXPECT_FALSE(router.IsDeferred(req));
  router.DispatchDeferred(req, Responder(collect));
  ASSERT_EQ(answers.size(), 2u);
  EXPECT_EQ(answers[0].status, 200);
  EXPECT_EQ(answers[1].status, 404);
}

TEST(DeferredResponseTest, ServerNeedsBothTheHandlerAndItsPolicy) {
  Router router;
  EXPECT_EQ(HttpServer::Create(TestServerOptions(), router.AsHandler(), nullptr,
                               router.AsDeferredHandler(), nullptr)
                .status()
                .code(),
            StatusCode::kInvalidArgument);
  EXPECT_EQ(HttpServer::Create(TestServerOptions(), router.AsHandler(), nullptr, nullptr,
                               router.AsDeferredPolicy())
                .status()
                .code(),
            StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace kura::http
