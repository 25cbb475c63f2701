#include "core/http/router.h"

#include <gtest/gtest.h>

namespace kura::http {
namespace {

Handler Reply(std::string tag) {
  return [tag](const HttpRequest& req) {
    std::string body = tag;
    for (const auto& [k, v] : req.path_params) body += " " + k + "=" + v;
    HttpResponse r;
    r.body = body;
    return r;
  };
}

HttpRequest Req(std::string method, std::string path) {
  HttpRequest r;
  r.method = std::move(method);
  r.path = std::move(path);
  return r;
}

class RouterTest : public ::testing::Test {
 protected:
  void SetUp() override {
    router_.Add("POST", "/v1/cards", Reply("create"));
    router_.Add("GET", "/v1/cards/{token}", Reply("get"));
    router_.Add("DELETE", "/v1/cards/{token}", Reply("delete"));
    router_.Add("POST", "/v1/cards/{token}/reveal", Reply("reveal"));
    router_.Add("GET", "/v1/cards/search", Reply("search"));
    router_.Add("GET", "/", Reply("root"));
  }
  Router router_;
};

TEST(RouterModeTest, RunsInlineFollowsTheMatchedRoute) {
  Router router;
  router.Add("GET", "/v1/cards/{token}", Reply("get"), RouteMode::kInline);
  router.Add("DELETE", "/v1/cards/{token}", Reply("delete"));  // kMayBlock by default
  router.Add("GET", "/v1/cards/search", Reply("search"));
  EXPECT_TRUE(router.RunsInline(Req("GET", "/v1/cards/tok")));
  EXPECT_FALSE(router.RunsInline(Req("DELETE", "/v1/cards/tok")));
  // The more literal route wins, as in Dispatch: "search" may block.
  EXPECT_FALSE(router.RunsInline(Req("GET", "/v1/cards/search")));
  // 404, 405 and unroutable paths are answered by the router itself.
  EXPECT_TRUE(router.RunsInline(Req("GET", "/nope")));
  EXPECT_TRUE(router.RunsInline(Req("PUT", "/v1/cards/tok")));
  EXPECT_TRUE(router.RunsInline(Req("GET", "no-slash")));
  const InlinePolicy policy = router.AsInlinePolicy();
  EXPECT_TRUE(policy(Req("GET", "/v1/cards/tok")));
  EXPECT_FALSE(policy(Req("DELETE", "/v1/cards/tok")));
  // The mode does not change what Dispatch does.
  HttpRequest r = Req("GET", "/v1/cards/tok");
  EXPECT_EQ(router.Dispatch(r).body, "get token=tok");
}

TEST_F(RouterTest, MatchesLiteralAndParams) {
  HttpRequest r = Req("POST", "/v1/cards");
  EXPECT_EQ(router_.Dispatch(r).body, "create");
  r = Req("GET", "/v1/cards/tok_123");
  EXPECT_EQ(router_.Dispatch(r).body, "get token=tok_123");
  EXPECT_EQ(r.path_params.at("token"), "tok_123");
  r = Req("POST", "/v1/cards/abc/reveal");
  EXPECT_EQ(router_.Dispatch(r).body, "reveal token=abc");
  r = Req("GET", "/");
  EXPECT_EQ(router_.Dispatch(r).body, "root");
}

TEST_F(RouterTest, LiteralSegmentBeatsParameter) {
  HttpRequest r = Req("GET", "/v1/cards/search");
  EXPECT_EQ(router_.Dispatch(r).body, "search");
  EXPECT_TRUE(r.path_params.empty());
}

TEST_F(RouterTest, UnknownPathIs404JsonError) {
  for (const char* path : {"/v2/cards", "/v1/cards/a/b/c", "/v1/cards/", "/v1", "", "nope"}) {
    HttpRequest r = Req("GET", path);
    HttpResponse resp = router_.Dispatch(r);
    EXPECT_EQ(resp.status, 404) << path;
    EXPECT_EQ(resp.content_type, "application/json");
    EXPECT_EQ(resp.body, R"({"error":{"code":"not_found","message":"no such resource"}})");
  }
}

TEST_F(RouterTest, EmptyParameterDoesNotMatch) {
  HttpRequest r = Req("POST", "/v1/cards//reveal");
  EXPECT_EQ(router_.Dispatch(r).status, 404);
}

TEST_F(RouterTest, WrongMethodIs405WithAllow) {
  HttpRequest r = Req("PUT", "/v1/cards/tok");
  HttpResponse resp = router_.Dispatch(r);
  EXPECT_EQ(resp.status, 405);
  ASSERT_NE(resp.Header("allow"), nullptr);
  EXPECT_EQ(*resp.Header("Allow"), "DELETE, GET");
  EXPECT_EQ(resp.body,
            R"({"error":{"code":"method_not_allowed","message":"method not allowed"}})");
}

TEST_F(RouterTest, AsHandlerDispatchesACopy) {
  Handler h = router_.AsHandler();
  HttpRequest r = Req("DELETE", "/v1/cards/xyz");
  EXPECT_EQ(h(r).body, "delete token=xyz");
  EXPECT_TRUE(r.path_params.empty());
}

}  // namespace
}  // namespace kura::http
