#include "bridge/request.h"

#include <gtest/gtest.h>

#include "bridge/result.h"
#include "core/crypto/encoding.h"
#include "core/crypto/jws.h"

namespace kura::bridge {
namespace {

BridgeRequest Sample() {
  BridgeRequest r;
  r.id = "0123456789abcdef0123456789abcdef";
  r.job = "tokenize-file";
  r.params = {{"input", "cards.csv"}, {"column", "pan"}};
  r.submitter = "airflow";
  r.created_ms = 1000;
  r.expires_ms = 2000;
  r.idempotency_key = "run-2026-01-01";
  return r;
}

TEST(RequestTest, SignParseVerifyRoundTrip) {
  auto key = crypto::Ed25519PrivateKey::Generate();
  ASSERT_TRUE(key.ok());
  Result<std::string> signed_req = SignRequest(Sample(), *key);
  ASSERT_TRUE(signed_req.ok()) << signed_req.status().ToString();
  Result<ParsedRequest> parsed = ParseRequest(*signed_req + "\n");
  ASSERT_TRUE(parsed.ok()) << parsed.status().ToString();
  EXPECT_EQ(parsed->request.params.at("input"), "cards.csv");
  EXPECT_EQ(parsed->request.idempotency_key, "run-2026-01-01");
  EXPECT_TRUE(VerifyParsedRequest(*parsed, key->PublicKey()).ok());
}

TEST(RequestTest, ForgedSignatureDoesNotVerify) {
  auto key = crypto::Ed25519PrivateKey::Generate();
  auto other = crypto::Ed25519PrivateKey::Generate();
  Result<std::string> signed_req = SignRequest(Sample(), *other);
  Result<ParsedRequest> parsed = ParseRequest(*signed_req);
  ASSERT_TRUE(parsed.ok());
  EXPECT_EQ(VerifyParsedRequest(*parsed, key->PublicKey()).code(), StatusCode::kUnauthenticated);
}

TEST(RequestTest, TamperedPayloadDoesNotVerify) {
  auto key = crypto::Ed25519PrivateKey::Generate();
  std::string jws = *SignRequest(Sample(), *key);
  // Swap the payload for one with a different param, keep the signature.
  BridgeRequest evil = Sample();
  evil.params["input"] = "../../etc/passwd";
  std::string evil_payload = crypto::Base64UrlEncode(*RequestPayloadJson(evil));
  size_t d1 = jws.find('.');
  size_t d2 = jws.find('.', d1 + 1);
  std::string forged = jws.substr(0, d1 + 1) + evil_payload + jws.substr(d2);
  Result<ParsedRequest> parsed = ParseRequest(forged);
  ASSERT_TRUE(parsed.ok());
  EXPECT_EQ(VerifyParsedRequest(*parsed, key->PublicKey()).code(), StatusCode::kUnauthenticated);
}

TEST(RequestTest, MalformedFilesAreInvalidArgument) {
  auto key = crypto::Ed25519PrivateKey::Generate();
  std::string jws = *SignRequest(Sample(), *key);
  EXPECT_EQ(ParseRequest(jws.substr(0, jws.size() / 2)).status().code(),
            StatusCode::kInvalidArgument);  // truncated
  EXPECT_EQ(ParseRequest("{\"job\":\"x\"}").status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(ParseRequest("").status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(ParseRequest(std::string(kMaxRequestBytes + 1, 'a')).status().code(),
            StatusCode::kInvalidArgument);  // huge
  std::string not_json = *crypto::SignCompactJws("not json", *key, "airflow");
  EXPECT_EQ(ParseRequest(not_json).status().code(), StatusCode::kInvalidArgument);
  std::string wrong_types = *crypto::SignCompactJws(
      R"({"v":1,"id":"0123456789abcdef0123456789abcdef","job":"x","params":{"a":1},)"
      R"("submitter":"airflow","created_ms":1,"expires_ms":2,"idempotency_key":"k"})",
      *key, "airflow");
  EXPECT_EQ(ParseRequest(wrong_types).status().code(), StatusCode::kInvalidArgument);
}

TEST(RequestTest, KidMustMatchSubmitter) {
  auto key = crypto::Ed25519PrivateKey::Generate();
  std::string jws = *crypto::SignCompactJws(*RequestPayloadJson(Sample()), *key, "someone-else");
  EXPECT_EQ(ParseRequest(jws).status().code(), StatusCode::kInvalidArgument);
}

TEST(RequestTest, ShapeLimitsRefusedAtSigning) {
  auto key = crypto::Ed25519PrivateKey::Generate();
  BridgeRequest r = Sample();
  r.params["x"] = std::string(kMaxParamValueBytes + 1, 'a');
  EXPECT_EQ(SignRequest(r, *key).status().code(), StatusCode::kInvalidArgument);
  r = Sample();
  r.job = "a job; rm -rf /";
  EXPECT_EQ(SignRequest(r, *key).status().code(), StatusCode::kInvalidArgument);
  r = Sample();
  r.id = "../../etc/passwd";
  EXPECT_EQ(SignRequest(r, *key).status().code(), StatusCode::kInvalidArgument);
}

TEST(ResultTest, SignAndVerify) {
  auto key = crypto::Ed25519PrivateKey::Generate();
  BridgeResult r;
  r.request_id = "0123456789abcdef0123456789abcdef";
  r.job = "j";
  r.status = std::string(kStatusSucceeded);
  r.runner = "cde-1";
  r.artifacts.push_back({"out.csv", "artifacts/x/out.csv", 10, "ab"});
  std::string jws = *SignResult(r, *key);
  Result<BridgeResult> back = VerifyResult(jws, key->PublicKey());
  ASSERT_TRUE(back.ok()) << back.status().ToString();
  EXPECT_EQ(back->status, kStatusSucceeded);
  ASSERT_EQ(back->artifacts.size(), 1u);
  EXPECT_EQ(back->artifacts[0].name, "out.csv");
  auto other = crypto::Ed25519PrivateKey::Generate();
  EXPECT_EQ(VerifyResult(jws, other->PublicKey()).status().code(), StatusCode::kUnauthenticated);
}

}  // namespace
}  // namespace kura::bridge
