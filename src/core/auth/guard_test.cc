#include "core/auth/guard.h"

#include <gtest/gtest.h>

#include "core/fs/memory_file_system.h"

namespace kura::auth {
namespace {

class GuardTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto store = ApiKeyStore::Open(fs_, "/keys.json", clock_, random_);
    ASSERT_TRUE(store.ok());
    store_ = std::move(store).value();
    auto key = store_->Create("writer", {"cards:write"});
    ASSERT_TRUE(key.ok());
    key_ = std::string(key->view());
    auto auth = Authenticator::Create(store_.get(), {});
    ASSERT_TRUE(auth.ok());
    auth_ = std::move(auth).value();
  }

  http::Handler Guarded(std::string scope) {
    return RequireScope(*auth_, std::move(scope),
                        [this](const http::HttpRequest&, const Principal& who) {
                          ++calls_;
                          return http::HttpResponse::Json(200, "{\"who\":\"" + who.name + "\"}");
                        });
  }
  http::HttpRequest WithKey(const std::string& key) {
    http::HttpRequest req;
    req.headers["authorization"] = "Bearer " + key;
    return req;
  }

  MemoryFileSystem fs_;
  FakeClock clock_;
  SeededRandom random_{3};
  std::unique_ptr<ApiKeyStore> store_;
  std::unique_ptr<Authenticator> auth_;
  std::string key_;
  int calls_ = 0;
};

TEST_F(GuardTest, RunsHandlerWithScope) {
  http::HttpResponse r = Guarded("cards:write")(WithKey(key_));
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.body, R"({"who":"writer"})");
  EXPECT_EQ(calls_, 1);
}

TEST_F(GuardTest, MissingScopeIs403) {
  http::HttpResponse r = Guarded("cards:reveal")(WithKey(key_));
  EXPECT_EQ(r.status, 403);
  EXPECT_EQ(r.body,
            R"({"error":{"code":"permission_denied","message":"scope 'cards:reveal' required"}})");
  EXPECT_EQ(calls_, 0);
}

TEST_F(GuardTest, BadCredentialsAre401) {
  http::HttpResponse r = Guarded("cards:write")(http::HttpRequest{});
  EXPECT_EQ(r.status, 401);
  EXPECT_EQ(r.body,
            R"({"error":{"code":"unauthenticated","message":"missing credentials"}})");
  ASSERT_NE(r.Header("www-authenticate"), nullptr);
  EXPECT_EQ(*r.Header("www-authenticate"), "Bearer");
  std::string wrong = key_;
  wrong.back() = wrong.back() == 'A' ? 'B' : 'A';
  r = Guarded("cards:write")(WithKey(wrong));
  EXPECT_EQ(r.status, 401);
  EXPECT_EQ(r.body.find(wrong), std::string::npos);
  EXPECT_EQ(calls_, 0);
}

TEST_F(GuardTest, UnreadableKeyStoreFailsClosedWith500) {
  ASSERT_TRUE(fs_.WriteFileAtomic("/keys.json", "garbage").ok());
  clock_.Advance(kDefaultReloadInterval);
  http::HttpResponse r = Guarded("cards:write")(WithKey(key_));
  EXPECT_EQ(r.status, 500);
  EXPECT_EQ(calls_, 0);
}

}  // namespace
}  // namespace kura::auth
