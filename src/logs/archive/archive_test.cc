#include "logs/archive/archive.h"

#include <gtest/gtest.h>

#include "core/blob/memory_blob_store.h"
#include "logs/archive/archive_layout.h"
#include "logs/archive/archive_test_util.h"
#include "logs/segment/segment_reader.h"

namespace kura::logs {
namespace {

using testing::kDay0;

class ArchiveTest : public ::testing::Test {
 protected:
  MemoryBlobStore store_;
  FakeClock clock_{kDay0 + 10 * kMillisPerDay};
  crypto::Ed25519PrivateKey key_ = testing::NewKey();
};

TEST_F(ArchiveTest, EmptyArchiveHasGenesisTail) {
  Archive archive(store_, key_, clock_);
  Result<ArchiveTail> tail = archive.Tail();
  ASSERT_TRUE(tail.ok());
  EXPECT_EQ(tail->last_seq, 0u);
  EXPECT_EQ(tail->last_chain, kGenesisChainHash);
}

TEST_F(ArchiveTest, SealWritesDataIndexAndSignedDigest) {
  Archive archive(store_, key_, clock_);
  const auto records = testing::Continue(archive, 50, kDay0 + 1000);
  Result<SealResult> sealed = archive.Seal(records);
  ASSERT_TRUE(sealed.ok()) << sealed.status().ToString();
  ASSERT_EQ(sealed->segments.size(), 1u);
  const SealedSegment& s = sealed->segments[0];
  EXPECT_EQ(s.data_key, DataKey("2026-01-01", 1, 50));
  EXPECT_EQ(s.index_key, IndexKey("2026-01-01", 1, 50));
  EXPECT_EQ(s.digest_key, SegmentDigestKey("2026-01-01", 1, 50));
  EXPECT_EQ(s.record_count, 50u);

  // The data object is JSON Lines of exactly the record bytes.
  Result<std::string> data = store_.Get(s.data_key);
  ASSERT_TRUE(data.ok());
  Result<std::vector<std::string>> lines = ReadAllRecords(*data);
  ASSERT_TRUE(lines.ok());
  ASSERT_EQ(lines->size(), 50u);
  EXPECT_EQ((*lines)[7], records[7].bytes);
  EXPECT_TRUE(store_.Get(s.index_key).ok());

  Result<Digest> d = ParseDigest(*store_.Get(s.digest_key));
  ASSERT_TRUE(d.ok());
  EXPECT_EQ(d->number, 1u);
  EXPECT_EQ(d->data_sha256, Sha256Hex(*data));
  EXPECT_EQ(d->chain_before, kGenesisChainHash);
  EXPECT_EQ(d->chain_last, records.back().chain);
  EXPECT_EQ(d->prev_digest, "");
  EXPECT_TRUE(VerifyDigestSignature(key_.PublicKey(), *d).ok());

  Result<ArchiveTail> tail = archive.Tail();
  EXPECT_EQ(tail->last_seq, 50u);
  EXPECT_EQ(tail->last_chain, records.back().chain);
  EXPECT_EQ(tail->last_received_ms, records.back().received_ms);
}

TEST_F(ArchiveTest, SplitsAtUtcDayBoundariesAndLinksDigests) {
  Archive archive(store_, key_, clock_);
  // 30 records, one per hour from 2026-01-01T20:00Z: three days touched.
  const auto records = testing::Continue(archive, 30, kDay0 + 20 * 3'600'000, 3'600'000);
  Result<SealResult> sealed = archive.Seal(records);
  ASSERT_TRUE(sealed.ok()) << sealed.status().ToString();
  ASSERT_EQ(sealed->segments.size(), 3u);
  EXPECT_EQ(sealed->segments[0].dt, "2026-01-01");
  EXPECT_EQ(sealed->segments[0].last_seq, 4u);  // 20:00 .. 23:00
  EXPECT_EQ(sealed->segments[1].dt, "2026-01-02");
  EXPECT_EQ(sealed->segments[1].first_seq, 5u);
  EXPECT_EQ(sealed->segments[1].last_seq, 28u);
  EXPECT_EQ(sealed->segments[2].dt, "2026-01-03");

  const std::string first_file = *store_.Get(sealed->segments[0].digest_key);
  Result<Digest> second = ParseDigest(*store_.Get(sealed->segments[1].digest_key));
  ASSERT_TRUE(second.ok());
  EXPECT_EQ(second->number, 2u);
  EXPECT_EQ(second->prev_digest, sealed->segments[0].digest_key);
  EXPECT_EQ(second->prev_digest_sha256, Sha256Hex(first_file));
  EXPECT_EQ(second->chain_before, records[3].chain);
}

TEST_F(ArchiveTest, TailSurvivesReopen) {
  {
    Archive archive(store_, key_, clock_);
    ASSERT_TRUE(archive.Seal(testing::Continue(archive, 10, kDay0)).ok());
    ASSERT_TRUE(archive.Seal(testing::Continue(archive, 10, kDay0 + 2 * kMillisPerDay)).ok());
  }
  Archive reopened(store_, key_, clock_);
  Result<ArchiveTail> tail = reopened.Tail();
  ASSERT_TRUE(tail.ok());
  EXPECT_EQ(tail->last_seq, 20u);
  // And sealing continues the chain.
  Result<SealResult> more = reopened.Seal(testing::Continue(reopened, 5, kDay0 + 3 * kMillisPerDay));
  ASSERT_TRUE(more.ok()) << more.status().ToString();
  EXPECT_EQ(more->segments[0].first_seq, 21u);
  Result<Digest> d = ParseDigest(*store_.Get(more->segments[0].digest_key));
  EXPECT_EQ(d->number, 3u);
}

TEST_F(ArchiveTest, RefusesRecordsThatDoNotContinueTheTail) {
  Archive archive(store_, key_, clock_);
  ASSERT_TRUE(archive.Seal(testing::Continue(archive, 10, kDay0)).ok());
  const ArchiveTail tail = *archive.Tail();

  // A gap.
  auto gap = testing::Records(12, 3, kDay0 + 100'000, 1000, tail.last_chain);
  Result<SealResult> r = archive.Seal(gap);
  EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(r.status().message().find("seq 12"), std::string::npos);
  // A wrong chain link.
  auto bad_link = testing::Records(11, 3, kDay0 + 100'000, 1000, kGenesisChainHash);
  EXPECT_EQ(archive.Seal(bad_link).status().code(), StatusCode::kInvalidArgument);
  // Received before the tail.
  auto back = testing::Records(11, 3, kDay0 - 1000, 1000, tail.last_chain);
  EXPECT_EQ(archive.Seal(back).status().code(), StatusCode::kInvalidArgument);
  // In the future.
  auto future = testing::Records(11, 3, clock_.NowUnixMillis() + 2 * kMillisPerDay, 1000,
                                 tail.last_chain);
  EXPECT_EQ(archive.Seal(future).status().code(), StatusCode::kInvalidArgument);
  // Nothing was written by the refused seals.
  EXPECT_EQ(archive.Tail()->last_seq, 10u);
  EXPECT_EQ(store_.size(), 3u);
}

TEST_F(ArchiveTest, ReadOnlyArchiveRefusesToSeal) {
  Archive archive(store_, std::nullopt, clock_);
  Result<SealResult> r = archive.Seal(testing::Records(1, 1, kDay0, 1000, kGenesisChainHash));
  EXPECT_EQ(r.status().code(), StatusCode::kFailedPrecondition);
  EXPECT_EQ(store_.size(), 0u);
}

TEST_F(ArchiveTest, RefusesToExtendAChainHeadSignedByAnotherKey) {
  {
    Archive archive(store_, testing::NewKey(), clock_);
    ASSERT_TRUE(archive.Seal(testing::Continue(archive, 3, kDay0)).ok());
  }
  Archive archive(store_, key_, clock_);
  Result<ArchiveTail> tail = archive.Tail();
  EXPECT_EQ(tail.status().code(), StatusCode::kFailedPrecondition);
}

TEST_F(ArchiveTest, UncommittedObjectsOfAnInterruptedSealAreReplaced) {
  Archive archive(store_, key_, clock_);
  ASSERT_TRUE(archive.Seal(testing::Continue(archive, 5, kDay0)).ok());
  const auto next = testing::Continue(archive, 5, kDay0 + 10'000);
  // A seal that crashed after writing data and index but before its digest,
  // covering a different range than the retry will.
  ASSERT_TRUE(store_.PutIfAbsent(DataKey("2026-01-01", 6, 8), "partial").ok());
  ASSERT_TRUE(store_.PutIfAbsent(IndexKey("2026-01-01", 6, 8), "partial").ok());
  ASSERT_TRUE(store_.PutIfAbsent(DataKey("2026-01-01", 6, 10), "stale").ok());

  Archive reopened(store_, key_, clock_);
  Result<SealResult> r = reopened.Seal(next);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_FALSE(store_.Get(DataKey("2026-01-01", 6, 8)).ok());
  EXPECT_FALSE(store_.Get(IndexKey("2026-01-01", 6, 8)).ok());
  Result<std::string> data = store_.Get(DataKey("2026-01-01", 6, 10));
  ASSERT_TRUE(data.ok());
  EXPECT_NE(*data, "stale");
  // Committed objects were not touched.
  EXPECT_TRUE(store_.Get(DataKey("2026-01-01", 1, 5)).ok());
}

TEST_F(ArchiveTest, EmptySealIsANoOp) {
  Archive archive(store_, key_, clock_);
  Result<SealResult> r = archive.Seal({});
  ASSERT_TRUE(r.ok());
  EXPECT_TRUE(r->segments.empty());
  EXPECT_EQ(store_.size(), 0u);
}

}  // namespace
}  // namespace kura::logs
