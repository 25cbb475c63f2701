#include "vault/reveal_grant.h"

#include <gtest/gtest.h>

#include <boost/json.hpp>

#include <cstdlib>
#include <filesystem>

#include "core/crypto/encoding.h"
#include "core/crypto/jws.h"
#include "vault/sqlite_card_store.h"

namespace kura::vault {
namespace {

namespace json = boost::json;

constexpr char kToken[] = "tok_abcdefghijklmnopqrstuvwxyz";

class RevealGrantTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/kura-grant-test-XXXXXX";
    ASSERT_NE(mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
    OpenStore();
    key_ = std::make_unique<crypto::Ed25519PrivateKey>(*crypto::Ed25519PrivateKey::Generate());
    other_key_ =
        std::make_unique<crypto::Ed25519PrivateKey>(*crypto::Ed25519PrivateKey::Generate());
    MakeVerifier();
  }
  void TearDown() override {
    verifier_.reset();
    store_.reset();
    std::filesystem::remove_all(dir_);
  }
  void OpenStore() {
    verifier_.reset();
    store_.reset();
    SqliteCardStoreOptions o;
    o.path = dir_ + "/vault.db";
    store_ = std::move(SqliteCardStore::Open(o)).value();
  }
  void MakeVerifier() {
    verifier_ = std::make_unique<GrantVerifier>(
        std::vector<GrantIssuer>{{"app-backend", key_->PublicKey()}}, "kura-vault", *store_,
        clock_);
  }
  std::string Mint(const crypto::Ed25519PrivateKey& key, GrantMintOptions opts = {}) {
    return *MintGrant(key, kToken, opts, clock_, random_);
  }
  // Signs arbitrary claims, for malformed-claim cases.
  std::string SignClaims(const json::object& claims) {
    return *crypto::SignCompactJws(json::serialize(claims), *key_);
  }
  json::object BaseClaims() {
    const int64_t now = clock_.NowUnixSeconds();
    return json::object{{"iss", "app-backend"}, {"aud", "kura-vault"}, {"sub", kToken},
                        {"iat", now},           {"exp", now + 30},     {"jti", "j-1"}};
  }

  std::string dir_;
  FakeClock clock_{1'767'225'600'000};
  OsRandom random_;
  std::unique_ptr<SqliteCardStore> store_;
  std::unique_ptr<crypto::Ed25519PrivateKey> key_, other_key_;
  std::unique_ptr<GrantVerifier> verifier_;
};

TEST_F(RevealGrantTest, AcceptsValidGrantOnce) {
  const std::string g = Mint(*key_);
  Result<GrantClaims> c = verifier_->Verify(g);
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  EXPECT_EQ(c->sub, kToken);
  EXPECT_EQ(c->iss, "app-backend");
  Result<GrantClaims> again = verifier_->Verify(g);
  EXPECT_EQ(again.status().code(), StatusCode::kUnauthenticated);
  EXPECT_EQ(again.status().message(), "grant already used");
}

TEST_F(RevealGrantTest, ReplayIsRefusedAfterRestart) {
  const std::string g = Mint(*key_);
  ASSERT_TRUE(verifier_->Verify(g).ok());
  OpenStore();
  MakeVerifier();
  EXPECT_EQ(verifier_->Verify(g).status().message(), "grant already used");
}

TEST_F(RevealGrantTest, ExpiredGrantIsRefused) {
  GrantMintOptions o;
  o.ttl = std::chrono::seconds(30);
  const std::string g = Mint(*key_, o);
  clock_.Advance(std::chrono::seconds(30 + kGrantClockSkew.count()));
  EXPECT_EQ(verifier_->Verify(g).status().message(), "grant expired");
}

TEST_F(RevealGrantTest, WrongAudienceIsRefused) {
  GrantMintOptions o;
  o.audience = "someone-else";
  EXPECT_EQ(verifier_->Verify(Mint(*key_, o)).status().message(),
            "grant audience does not match this vault");
}

TEST_F(RevealGrantTest, BadSignatureIsRefused) {
  EXPECT_EQ(verifier_->Verify(Mint(*other_key_)).status().message(),
            "grant signature is invalid");
  // Flip one character of the signature.
  std::string g = Mint(*key_);
  g[g.size() - 5] = g[g.size() - 5] == 'A' ? 'B' : 'A';
  EXPECT_EQ(verifier_->Verify(g).status().code(), StatusCode::kUnauthenticated);
}

TEST_F(RevealGrantTest, UnknownIssuerIsRefused) {
  GrantMintOptions o;
  o.issuer = "mallory";
  EXPECT_EQ(verifier_->Verify(Mint(*key_, o)).status().message(), "grant issuer is not trusted");
}

TEST_F(RevealGrantTest, LifetimeOver60SecondsIsRefused) {
  json::object c = BaseClaims();
  c["exp"] = c["iat"].as_int64() + 61;
  EXPECT_EQ(verifier_->Verify(SignClaims(c)).status().message(), "grant lifetime exceeds 60 s");
  GrantMintOptions o;
  o.ttl = std::chrono::seconds(61);
  EXPECT_EQ(MintGrant(*key_, kToken, o, clock_, random_).status().code(),
            StatusCode::kInvalidArgument);
}

TEST_F(RevealGrantTest, FutureIssuedGrantIsRefused) {
  json::object c = BaseClaims();
  c["iat"] = c["iat"].as_int64() + 120;
  c["exp"] = c["iat"].as_int64() + 30;
  EXPECT_EQ(verifier_->Verify(SignClaims(c)).status().message(), "grant is issued in the future");
}

TEST_F(RevealGrantTest, MissingOrMistypedClaimsAreRefused) {
  for (const char* claim : {"sub", "jti", "iat", "exp"}) {
    json::object c = BaseClaims();
    c.erase(claim);
    Result<GrantClaims> r = verifier_->Verify(SignClaims(c));
    EXPECT_EQ(r.status().code(), StatusCode::kUnauthenticated) << claim;
    EXPECT_NE(r.status().message().find(claim), std::string::npos) << r.status().message();
  }
  json::object c = BaseClaims();
  c["exp"] = "tomorrow";
  EXPECT_EQ(verifier_->Verify(SignClaims(c)).status().code(), StatusCode::kUnauthenticated);
}

TEST_F(RevealGrantTest, AudienceArrayIsAccepted) {
  json::object c = BaseClaims();
  c["aud"] = json::array{"other", "kura-vault"};
  EXPECT_TRUE(verifier_->Verify(SignClaims(c)).ok());
}

TEST_F(RevealGrantTest, NonEdDsaAndGarbageAreRejectedBeforeVerification) {
  const std::string header = crypto::Base64UrlEncode(std::string(R"({"alg":"none"})"));
  const std::string payload = crypto::Base64UrlEncode(json::serialize(BaseClaims()));
  EXPECT_EQ(verifier_->Verify(header + "." + payload + ".").status().code(),
            StatusCode::kInvalidArgument);
  EXPECT_EQ(verifier_->Verify("not-a-jws").status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(verifier_->Verify(std::string(10000, 'a')).status().code(),
            StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace kura::vault
