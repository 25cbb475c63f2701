#include "bridge/client.h"

#include <gtest/gtest.h>

#include "core/blob/memory_blob_store.h"

namespace kura::bridge {
namespace {

class ClientTest : public ::testing::Test {
 protected:
  ClientTest()
      : zone_(blob_),
        submitter_(*crypto::Ed25519PrivateKey::Generate()),
        cde_(*crypto::Ed25519PrivateKey::Generate()),
        random_(7) {}

  void PublishResult(const std::string& id, std::string_view status,
                     const crypto::Ed25519PrivateKey& key) {
    BridgeResult r;
    r.request_id = id;
    r.status = std::string(status);
    r.runner = "cde";
    ASSERT_TRUE(zone_.PutResult(id, *SignResult(r, key)).ok());
  }

  MemoryBlobStore blob_;
  DropZone zone_;
  crypto::Ed25519PrivateKey submitter_;
  crypto::Ed25519PrivateKey cde_;
  FakeClock clock_;
  SeededRandom random_;
};

TEST_F(ClientTest, SubmitWritesASignedRequest) {
  SubmitOptions o;
  o.job = "purge";
  o.params = {{"a", "1"}};
  o.ttl = std::chrono::seconds(60);
  auto id = SubmitRequest(zone_, "airflow", submitter_, o, clock_, random_);
  ASSERT_TRUE(id.ok()) << id.status().ToString();
  auto parsed = ParseRequest(*zone_.GetRequest(*id));
  ASSERT_TRUE(parsed.ok());
  EXPECT_TRUE(VerifyParsedRequest(*parsed, submitter_.PublicKey()).ok());
  EXPECT_EQ(parsed->request.idempotency_key, *id);
  EXPECT_EQ(parsed->request.expires_ms - parsed->request.created_ms, 60'000);
  o.params = {{"bad name", "x"}};
  EXPECT_EQ(SubmitRequest(zone_, "airflow", submitter_, o, clock_, random_).status().code(),
            StatusCode::kInvalidArgument);
}

TEST_F(ClientTest, WaitTimesOutOnTheInjectedClock) {
  WaitOptions w;
  w.timeout = std::chrono::seconds(10);
  int polls = 0;
  w.sleep = [&](std::chrono::milliseconds d) {
    ++polls;
    clock_.Advance(d);
  };
  auto r = WaitForResult(zone_, "0123456789abcdef0123456789abcdef", cde_.PublicKey(), clock_, w);
  EXPECT_EQ(r.status().code(), StatusCode::kDeadlineExceeded);
  EXPECT_EQ(polls, 20);
}

TEST_F(ClientTest, WaitReturnsVerifiedResultAndRefusesForgedOnes) {
  const std::string id = "0123456789abcdef0123456789abcdef";
  WaitOptions w;
  w.sleep = [&](std::chrono::milliseconds d) {
    clock_.Advance(d);
    PublishResult(id, kStatusRejected, cde_);
  };
  auto r = WaitForResult(zone_, id, cde_.PublicKey(), clock_, w);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(ExitCodeForStatus(r->status), kExitRejected);
  const std::string forged_id = "0123456789abcdef0123456789abcdee";
  PublishResult(forged_id, kStatusSucceeded, submitter_);
  EXPECT_EQ(FetchResult(zone_, forged_id, cde_.PublicKey()).status().code(),
            StatusCode::kUnauthenticated);
  // A genuine result copied to another request's name.
  ASSERT_TRUE(blob_.Put(ResultKey("0123456789abcdef0123456789abcdea"), *zone_.GetResult(id)).ok());
  EXPECT_EQ(
      FetchResult(zone_, "0123456789abcdef0123456789abcdea", cde_.PublicKey()).status().code(),
      StatusCode::kInvalidArgument);
}

TEST(ExitCodeTest, StatusesMapToDistinctCodes) {
  EXPECT_EQ(ExitCodeForStatus(kStatusSucceeded), 0);
  EXPECT_EQ(ExitCodeForStatus(kStatusFailed), kExitJobFailed);
  EXPECT_EQ(ExitCodeForStatus(kStatusRejected), kExitRejected);
  EXPECT_EQ(ExitCodeForStatus(kStatusExpired), kExitExpired);
}

}  // namespace
}  // namespace kura::bridge
