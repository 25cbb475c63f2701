#include "logs/archive/retention.h"

#include <gtest/gtest.h>

#include "core/audit/audit_sink.h"
#include "core/blob/memory_blob_store.h"
#include "logs/archive/archive_layout.h"
#include "logs/archive/archive_test_util.h"
#include "logs/archive/verify.h"

namespace kura::logs {
namespace {

using testing::kDay0;

class RetentionTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto sink = std::make_unique<MemoryAuditSink>();
    sink_ = sink.get();
    std::vector<std::unique_ptr<AuditSink>> sinks;
    sinks.push_back(std::move(sink));
    audit_ = std::make_unique<AuditLog>(clock_, "logs", "test", std::move(sinks));
    archive_ = std::make_unique<Archive>(store_, key_, clock_);
    // Day 0, day 1 and day 2 (one segment each, newest record at 12:00).
    for (int day = 0; day < 3; ++day) {
      Result<SealResult> r = archive_->Seal(
          testing::Continue(*archive_, 10, kDay0 + day * kMillisPerDay + 12 * 3'600'000 - 9000));
      ASSERT_TRUE(r.ok()) << r.status().ToString();
      segments_.push_back(r->segments[0]);
    }
  }

  // Sets the clock to `days` after day 0's newest record, plus `extra_ms`.
  void AgeOfDay0(int64_t days, int64_t extra_ms = 0) {
    clock_.SetUnixMillis(kDay0 + 12 * 3'600'000 + days * kMillisPerDay + extra_ms);
  }

  Result<RetentionReport> Run(RetentionOptions options = {}) {
    return ApplyRetention(*archive_, store_, clock_, *audit_, options);
  }

  MemoryBlobStore store_;
  FakeClock clock_{kDay0 + 10 * kMillisPerDay};
  crypto::Ed25519PrivateKey key_ = testing::NewKey();
  MemoryAuditSink* sink_ = nullptr;
  std::unique_ptr<AuditLog> audit_;
  std::unique_ptr<Archive> archive_;
  std::vector<SealedSegment> segments_;
};

TEST_F(RetentionTest, KeepsDay364AndDeletesDay366) {
  AgeOfDay0(364);
  Result<RetentionReport> r = Run();
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_TRUE(r->deleted.empty());
  EXPECT_TRUE(store_.Get(segments_[0].data_key).ok());

  AgeOfDay0(366);
  r = Run();
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  // Day 0's segment is 366 days old; day 1's is exactly 365 days old: kept.
  ASSERT_EQ(r->deleted.size(), 1u);
  EXPECT_EQ(r->deleted[0].segment, segments_[0].data_key);
  EXPECT_TRUE(store_.Get(segments_[1].data_key).ok());
  EXPECT_FALSE(store_.Get(segments_[0].data_key).ok());
  EXPECT_FALSE(store_.Get(segments_[0].index_key).ok());
  EXPECT_TRUE(store_.Get(segments_[0].digest_key).ok());  // digests are kept
  EXPECT_TRUE(store_.Get(segments_[2].data_key).ok());
}

TEST_F(RetentionTest, BoundaryIsExclusive) {
  // Exactly 365 x 24 h after the newest record: kept; one ms later: deleted.
  AgeOfDay0(365);
  Result<RetentionReport> r = Run();
  ASSERT_TRUE(r.ok());
  EXPECT_TRUE(r->deleted.empty());
  AgeOfDay0(365, 1);
  r = Run();
  ASSERT_TRUE(r.ok());
  ASSERT_EQ(r->deleted.size(), 1u);
  EXPECT_EQ(r->deleted[0].segment, segments_[0].data_key);
}

TEST_F(RetentionTest, DeletionIsSignedAuditedAndVerifiable) {
  AgeOfDay0(366);
  Result<RetentionReport> r = Run();
  ASSERT_TRUE(r.ok());
  ASSERT_FALSE(r->digest_key.empty());
  Result<Digest> d = ParseDigest(*store_.Get(r->digest_key));
  ASSERT_TRUE(d.ok());
  EXPECT_EQ(d->kind, DigestKind::kRetention);
  EXPECT_EQ(d->retention_days, 365);
  EXPECT_EQ(d->deleted, r->deleted);
  EXPECT_TRUE(VerifyDigestSignature(key_.PublicKey(), *d).ok());

  const std::vector<std::string> lines = sink_->lines();
  ASSERT_EQ(lines.size(), 1u);
  EXPECT_NE(lines[0].find("\"event\":\"logs.retention.delete\""), std::string::npos);
  EXPECT_NE(lines[0].find("\"service\":\"logs\""), std::string::npos);
  EXPECT_NE(lines[0].find(segments_[0].data_key), std::string::npos);

  Result<VerifyReport> v = VerifyArchive(store_, key_.PublicKey());
  ASSERT_TRUE(v.ok());
  EXPECT_TRUE(v->ok()) << v->Summary();
  EXPECT_EQ(v->retention_deleted, 1u);
  EXPECT_EQ(v->Summary(), "verified 20 records in 2 segments");
  ASSERT_EQ(v->retention_notes.size(), 1u);
  EXPECT_NE(v->retention_notes[0].find("deleted by retention on"), std::string::npos);

  // Sealing continues after a retention digest, and the chain still verifies.
  clock_.SetUnixMillis(kDay0 + 400 * kMillisPerDay);
  ASSERT_TRUE(archive_->Seal(testing::Continue(*archive_, 5, kDay0 + 399 * kMillisPerDay)).ok());
  Archive reopened(store_, key_, clock_);
  EXPECT_EQ(reopened.Tail()->last_seq, 35u);
  v = VerifyArchive(store_, key_.PublicKey());
  EXPECT_TRUE(v->ok()) << v->Summary();
}

TEST_F(RetentionTest, DeletionWithoutRetentionRecordIsTampering) {
  AgeOfDay0(366);
  ASSERT_TRUE(store_.Delete(segments_[2].data_key).ok());
  ASSERT_TRUE(Run().ok());
  Result<VerifyReport> v = VerifyArchive(store_, key_.PublicKey());
  EXPECT_EQ(v->problem, VerifyProblem::kMissingSegment) << v->Summary();
  EXPECT_EQ(v->object, segments_[2].data_key);
}

TEST_F(RetentionTest, ShortPeriodIsRefusedUnlessOverridden) {
  AgeOfDay0(100);
  RetentionOptions options;
  options.retention_days = 90;
  Result<RetentionReport> r = Run(options);
  EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(r.status().message().find("allow-short-retention"), std::string::npos);
  EXPECT_TRUE(store_.Get(segments_[0].data_key).ok());
  options.allow_short_retention = true;
  r = Run(options);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->deleted.size(), 3u);
  options.retention_days = 0;
  EXPECT_EQ(Run(options).status().code(), StatusCode::kInvalidArgument);
}

TEST_F(RetentionTest, DryRunChangesNothing) {
  AgeOfDay0(366);
  RetentionOptions options;
  options.dry_run = true;
  const size_t before = store_.size();
  Result<RetentionReport> r = Run(options);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->deleted.size(), 1u);
  EXPECT_TRUE(r->digest_key.empty());
  EXPECT_EQ(store_.size(), before);
  EXPECT_TRUE(sink_->lines().empty());
}

TEST_F(RetentionTest, FailedAuditDeletesNothingAndARerunCompletes) {
  AgeOfDay0(366);
  sink_->SetFailure(InternalError("audit disk gone"));
  Result<RetentionReport> r = Run();
  EXPECT_EQ(r.status().code(), StatusCode::kInternal);
  // Recorded in the chain, not yet deleted: the state after a crash.
  EXPECT_TRUE(store_.Get(segments_[0].data_key).ok());
  Result<VerifyReport> v = VerifyArchive(store_, key_.PublicKey());
  EXPECT_TRUE(v->ok()) << v->Summary();

  sink_->SetFailure(OkStatus());
  r = Run();
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_TRUE(r->deleted.empty());
  EXPECT_EQ(r->completed.size(), 1u);
  EXPECT_TRUE(r->digest_key.empty());  // no second record of the same deletion
  EXPECT_FALSE(store_.Get(segments_[0].data_key).ok());
  EXPECT_NE(sink_->lines().back().find("completing"), std::string::npos);
  v = VerifyArchive(store_, key_.PublicKey());
  EXPECT_TRUE(v->ok()) << v->Summary();
  EXPECT_EQ(v->retention_deleted, 1u);
}

TEST_F(RetentionTest, ReadOnlyArchiveCannotApplyRetention) {
  Archive read_only(store_, std::nullopt, clock_);
  AgeOfDay0(366);
  Result<RetentionReport> r = ApplyRetention(read_only, store_, clock_, *audit_, {});
  EXPECT_EQ(r.status().code(), StatusCode::kFailedPrecondition);
  EXPECT_TRUE(store_.Get(segments_[0].data_key).ok());
}

}  // namespace
}  // namespace kura::logs
