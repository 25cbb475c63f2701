#include "core/auth/authenticator.h"

#include <gtest/gtest.h>

#include "core/fs/memory_file_system.h"

namespace kura::auth {
namespace {

class AuthenticatorTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto store = ApiKeyStore::Open(fs_, "/keys.json", clock_, random_);
    ASSERT_TRUE(store.ok());
    store_ = std::move(store).value();
    auto key = store_->Create("batch", {"cards:write"});
    ASSERT_TRUE(key.ok());
    key_ = std::string(key->view());
    auto auth = Authenticator::Create(
        store_.get(), {{"tokenizer.issuer.example", "tokenizer", {"cards:write", "cards:read"}}});
    ASSERT_TRUE(auth.ok()) << auth.status().ToString();
    auth_ = std::move(auth).value();
  }

  static http::HttpRequest WithAuthorization(std::string value) {
    http::HttpRequest req;
    req.headers["authorization"] = std::move(value);
    return req;
  }
  static http::HttpRequest WithCert(std::string cn) {
    http::HttpRequest req;
    req.client_cert = http::ClientCert{"CN=" + cn, cn, std::string(64, 'a')};
    return req;
  }

  MemoryFileSystem fs_;
  FakeClock clock_;
  SeededRandom random_{7};
  std::unique_ptr<ApiKeyStore> store_;
  std::unique_ptr<Authenticator> auth_;
  std::string key_;
};

TEST_F(AuthenticatorTest, BearerApiKey) {
  for (const std::string scheme : {"Bearer ", "bearer ", "BEARER  "}) {
    auto p = auth_->Authenticate(WithAuthorization(scheme + key_));
    ASSERT_TRUE(p.ok()) << scheme << p.status().ToString();
    EXPECT_EQ(p->name, "batch");
    EXPECT_EQ(p->method, "api_key");
    EXPECT_TRUE(p->HasScope("cards:write"));
    EXPECT_FALSE(p->HasScope("cards:reveal"));
  }
}

TEST_F(AuthenticatorTest, WrongKeyIsInvalidApiKey) {
  std::string wrong = key_;
  wrong.back() = wrong.back() == 'A' ? 'B' : 'A';
  Status st = auth_->Authenticate(WithAuthorization("Bearer " + wrong)).status();
  EXPECT_EQ(st.code(), StatusCode::kUnauthenticated);
  EXPECT_EQ(st.message(), "invalid API key");
  st = auth_->Authenticate(WithAuthorization("Bearer not-a-kura-key")).status();
  EXPECT_EQ(st.code(), StatusCode::kUnauthenticated);
  EXPECT_EQ(st.message(), "invalid API key");
}

TEST_F(AuthenticatorTest, MalformedAuthorizationHeader) {
  for (const std::string& value :
       {std::string(), std::string("Bearer"), std::string("Bearer "), "Basic " + key_,
        "Bearer " + key_ + " extra", "Bearer\t" + key_, "Bearer" + key_,
        std::string("Bearer a\"b")}) {
    Status st = auth_->Authenticate(WithAuthorization(value)).status();
    EXPECT_EQ(st.code(), StatusCode::kUnauthenticated) << value;
    EXPECT_EQ(st.message(), "malformed Authorization header") << value;
    EXPECT_EQ(st.message().find(key_), std::string::npos);
  }
}

TEST_F(AuthenticatorTest, MappedClientCertificate) {
  auto p = auth_->Authenticate(WithCert("tokenizer.issuer.example"));
  ASSERT_TRUE(p.ok()) << p.status().ToString();
  EXPECT_EQ(p->name, "tokenizer");
  EXPECT_EQ(p->method, "mtls");
  EXPECT_TRUE(p->HasScope("cards:read"));
  Status st = auth_->Authenticate(WithCert("someone-else")).status();
  EXPECT_EQ(st.code(), StatusCode::kUnauthenticated);
  EXPECT_EQ(st.message(), "client certificate not authorized");
}

TEST_F(AuthenticatorTest, AuthorizationHeaderTakesPrecedenceOverCert) {
  http::HttpRequest req = WithCert("tokenizer.issuer.example");
  req.headers["authorization"] = "Bearer " + key_;
  auto p = auth_->Authenticate(req);
  ASSERT_TRUE(p.ok());
  EXPECT_EQ(p->method, "api_key");
  req.headers["authorization"] = "Basic dXNlcjpwYXNz";
  EXPECT_EQ(auth_->Authenticate(req).status().message(), "malformed Authorization header");
}

TEST_F(AuthenticatorTest, MissingCredentials) {
  Status st = auth_->Authenticate(http::HttpRequest{}).status();
  EXPECT_EQ(st.code(), StatusCode::kUnauthenticated);
  EXPECT_EQ(st.message(), "missing credentials");
}

TEST_F(AuthenticatorTest, NoKeyStoreRefusesApiKeys) {
  auto auth = Authenticator::Create(nullptr, {});
  ASSERT_TRUE(auth.ok());
  Status st = (*auth)->Authenticate(WithAuthorization("Bearer " + key_)).status();
  EXPECT_EQ(st.code(), StatusCode::kUnauthenticated);
  EXPECT_EQ(st.message(), "invalid API key");
  EXPECT_EQ((*auth)->Authenticate(WithCert("tokenizer.issuer.example")).status().message(),
            "client certificate not authorized");
}

TEST_F(AuthenticatorTest, RejectsBadMappings) {
  EXPECT_EQ(Authenticator::Create(nullptr, {{"", "n", {"cards:read"}}}).status().code(),
            StatusCode::kInvalidArgument);
  EXPECT_EQ(Authenticator::Create(nullptr, {{"cn", "bad name", {"cards:read"}}}).status().code(),
            StatusCode::kInvalidArgument);
  EXPECT_EQ(Authenticator::Create(nullptr, {{"cn", "n", {}}}).status().code(),
            StatusCode::kInvalidArgument);
  EXPECT_EQ(Authenticator::Create(nullptr, {{"cn", "n", {"Cards"}}}).status().code(),
            StatusCode::kInvalidArgument);
  EXPECT_EQ(Authenticator::Create(nullptr, {{"cn", "a", {"cards:read"}},
                                            {"cn", "b", {"cards:read"}}})
                .status()
                .code(),
            StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace kura::auth
