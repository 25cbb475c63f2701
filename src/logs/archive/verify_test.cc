// Tamper tests: every kind of change to an archive on disk is detected and
// named precisely by VerifyArchive.
#include "logs/archive/verify.h"

#include <gtest/gtest.h>

#include <filesystem>

#include "core/blob/local_blob_store.h"
#include "core/blob/memory_blob_store.h"
#include "core/fs/file_system.h"
#include "logs/archive/archive.h"
#include "logs/archive/archive_layout.h"
#include "logs/archive/archive_test_util.h"

namespace kura::logs {
namespace {

using testing::kDay0;

// Four segments: two on 2026-01-01, one on 01-02, one on 01-03.
class VerifyTest : public ::testing::Test {
 protected:
  void SetUp() override {
    root_ = testing::TempDir();
    ASSERT_FALSE(root_.empty());
    store_ = *LocalBlobStore::Open(fs_, root_);
    archive_ = std::make_unique<Archive>(*store_, key_, clock_);
    SealDay(kDay0 + 1000, 20);
    SealDay(kDay0 + 3'600'000, 20);
    SealDay(kDay0 + kMillisPerDay + 1000, 20);
    SealDay(kDay0 + 2 * kMillisPerDay + 1000, 20);
  }

  void TearDown() override {
    std::error_code ec;
    std::filesystem::remove_all(root_, ec);
  }

  void SealDay(int64_t start, size_t n) {
    Result<SealResult> r = archive_->Seal(testing::Continue(*archive_, n, start));
    ASSERT_TRUE(r.ok()) << r.status().ToString();
    for (const SealedSegment& s : r->segments) segments_.push_back(s);
  }

  VerifyReport Verify(const VerifyOptions& options = {}) {
    Result<VerifyReport> r = VerifyArchive(*store_, key_.PublicKey(), options);
    EXPECT_TRUE(r.ok()) << r.status().ToString();
    return r.ok() ? *r : VerifyReport{};
  }

  std::string PathOf(const std::string& key) const { return JoinPath(root_, key); }
  std::string Read(const std::string& key) { return *fs_.ReadFile(PathOf(key)); }
  void Write(const std::string& key, const std::string& data) {
    ASSERT_TRUE(fs_.CreateDirs(DirName(PathOf(key))).ok());
    ASSERT_TRUE(fs_.WriteFileAtomic(PathOf(key), data).ok());
  }
  void Remove(const std::string& key) { ASSERT_TRUE(store_->Delete(key).ok()); }

  PosixFileSystem fs_;
  std::string root_;
  std::unique_ptr<LocalBlobStore> store_;
  FakeClock clock_{kDay0 + 10 * kMillisPerDay};
  crypto::Ed25519PrivateKey key_ = testing::NewKey();
  std::unique_ptr<Archive> archive_;
  std::vector<SealedSegment> segments_;
};

TEST_F(VerifyTest, IntactArchiveVerifies) {
  ASSERT_EQ(segments_.size(), 4u);
  VerifyReport r = Verify();
  EXPECT_TRUE(r.ok()) << r.Summary();
  EXPECT_EQ(r.Summary(), "verified 80 records in 4 segments");
  EXPECT_EQ(r.digests, 4u);
  EXPECT_EQ(r.head_key, segments_[3].digest_key);
  EXPECT_EQ(r.head_sha256, Sha256Hex(Read(segments_[3].digest_key)));
  EXPECT_EQ(VerifyExitCode(r.problem), 0);
}

TEST_F(VerifyTest, FlippedByteInSegmentIsModified) {
  std::string data = Read(segments_[1].data_key);
  data[data.size() / 2] ^= 0x01;
  Write(segments_[1].data_key, data);
  VerifyReport r = Verify();
  EXPECT_EQ(r.problem, VerifyProblem::kModified) << r.Summary();
  EXPECT_EQ(r.object, segments_[1].data_key);
  EXPECT_GE(r.seq, 21u);
  EXPECT_LE(r.seq, 40u);
  EXPECT_EQ(r.records, 20u);  // the first segment verified before
  EXPECT_EQ(VerifyExitCode(r.problem), 3);
}

TEST_F(VerifyTest, TruncatedSegmentIsTruncated) {
  std::string data = Read(segments_[2].data_key);
  Write(segments_[2].data_key, data.substr(0, data.size() - 10));
  VerifyReport r = Verify();
  EXPECT_EQ(r.problem, VerifyProblem::kTruncated) << r.Summary();
  EXPECT_EQ(r.object, segments_[2].data_key);
  EXPECT_EQ(VerifyExitCode(r.problem), 4);
}

TEST_F(VerifyTest, DeletedSegmentIsMissing) {
  Remove(segments_[1].data_key);
  VerifyReport r = Verify();
  EXPECT_EQ(r.problem, VerifyProblem::kMissingSegment) << r.Summary();
  EXPECT_EQ(r.object, segments_[1].data_key);
  EXPECT_EQ(r.seq, 21u);
  EXPECT_EQ(VerifyExitCode(r.problem), 5);
}

TEST_F(VerifyTest, DeletedDigestIsMissingDigest) {
  Remove(segments_[1].digest_key);
  VerifyReport r = Verify();
  EXPECT_EQ(r.problem, VerifyProblem::kMissingDigest) << r.Summary();
  EXPECT_EQ(r.object, segments_[1].digest_key);
  EXPECT_EQ(VerifyExitCode(r.problem), 6);
}

TEST_F(VerifyTest, DeletedNewestDigestLeavesASegmentWithoutDigest) {
  Remove(segments_[3].digest_key);
  VerifyReport r = Verify();
  EXPECT_EQ(r.problem, VerifyProblem::kMissingDigest) << r.Summary();
  EXPECT_EQ(r.object, segments_[3].data_key);
}

// A store whose first listing of digest/ misses one key: as if its seal
// wrote the digest right after verify listed the digests.
class DigestLandsLater : public BlobStore {
 public:
  DigestLandsLater(BlobStore& base, std::string late) : base_(base), late_(std::move(late)) {}
  Status Put(std::string_view key, std::string_view data) override { return base_.Put(key, data); }
  Status PutIfAbsent(std::string_view key, std::string_view data) override {
    return base_.PutIfAbsent(key, data);
  }
  Result<std::string> Get(std::string_view key) override { return base_.Get(key); }
  Result<std::string> GetAtMost(std::string_view key, size_t max_bytes) override {
    return base_.GetAtMost(key, max_bytes);
  }
  Result<std::vector<std::string>> List(std::string_view prefix) override {
    ASSIGN_OR_RETURN(std::vector<std::string> keys, base_.List(prefix));
    if (prefix == kDigestPrefix && digest_lists_++ == 0) std::erase(keys, late_);
    return keys;
  }
  Status Delete(std::string_view key) override { return base_.Delete(key); }
  Status PutStream(std::string_view key, BlobSource& source) override {
    return base_.PutStream(key, source);
  }
  int digest_lists_ = 0;

 private:
  BlobStore& base_;
  const std::string late_;
};

// Verifying a live archive: the newest segment's seal finishes while verify
// runs. That is not tampering: the chain is verified up to the digest before
// it. With the digest really gone it is still a missing digest.
TEST_F(VerifyTest, ASealFinishingDuringVerifyIsNotAMissingDigest) {
  DigestLandsLater live(*store_, segments_[3].digest_key);
  Result<VerifyReport> r = VerifyArchive(live, key_.PublicKey(), {});
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_TRUE(r->ok()) << r->Summary();
  EXPECT_EQ(r->Summary(), "verified 60 records in 3 segments");
  EXPECT_EQ(r->head_key, segments_[2].digest_key);
  EXPECT_EQ(live.digest_lists_, 2);  // listed again for the undigested newest segment

  Remove(segments_[3].digest_key);
  DigestLandsLater gone(*store_, segments_[3].digest_key);
  Result<VerifyReport> broken = VerifyArchive(gone, key_.PublicKey(), {});
  ASSERT_TRUE(broken.ok()) << broken.status().ToString();
  EXPECT_EQ(broken->problem, VerifyProblem::kMissingDigest) << broken->Summary();
  EXPECT_EQ(broken->object, segments_[3].data_key);
}

TEST_F(VerifyTest, DeletedFirstDigestIsMissingDigest) {
  Remove(segments_[0].digest_key);
  VerifyReport r = Verify();
  EXPECT_EQ(r.problem, VerifyProblem::kMissingDigest) << r.Summary();
  EXPECT_EQ(r.object, segments_[0].digest_key);
}

TEST_F(VerifyTest, SwappedSegmentsAreReordered) {
  const std::string a = Read(segments_[0].data_key);
  const std::string b = Read(segments_[1].data_key);
  Write(segments_[0].data_key, b);
  Write(segments_[1].data_key, a);
  VerifyReport r = Verify();
  EXPECT_EQ(r.problem, VerifyProblem::kReordered) << r.Summary();
  EXPECT_EQ(r.object, segments_[0].data_key);
  EXPECT_NE(r.detail.find(segments_[1].data_key), std::string::npos);
  EXPECT_EQ(VerifyExitCode(r.problem), 7);
}

TEST_F(VerifyTest, SegmentMovedToAnEarlierPartitionIsBackdated) {
  const SealedSegment& s = segments_[2];  // dt=2026-01-02
  const std::string moved = DataKey("2025-12-31", s.first_seq, s.last_seq);
  Write(moved, Read(s.data_key));
  Remove(s.data_key);
  VerifyReport r = Verify();
  EXPECT_EQ(r.problem, VerifyProblem::kBackdated) << r.Summary();
  EXPECT_EQ(r.object, moved);
  EXPECT_EQ(VerifyExitCode(r.problem), 8);
}

TEST_F(VerifyTest, SegmentAndDigestMovedToAnEarlierPartitionIsBackdated) {
  const SealedSegment& s = segments_[2];
  Write(DataKey("2025-12-31", s.first_seq, s.last_seq), Read(s.data_key));
  Write(SegmentDigestKey("2025-12-31", s.first_seq, s.last_seq), Read(s.digest_key));
  Remove(s.data_key);
  Remove(s.digest_key);
  VerifyReport r = Verify();
  EXPECT_EQ(r.problem, VerifyProblem::kBackdated) << r.Summary();
  EXPECT_EQ(r.object, SegmentDigestKey("2025-12-31", s.first_seq, s.last_seq));
}

TEST_F(VerifyTest, DigestForgedWithAnotherKeyIsBadSignature) {
  Result<Digest> d = ParseDigest(Read(segments_[2].digest_key));
  ASSERT_TRUE(d.ok());
  d->record_count = 20;  // unchanged content, re-signed by a stranger
  ASSERT_TRUE(SignDigest(testing::NewKey(), &*d).ok());
  Write(segments_[2].digest_key, EncodeDigest(*d));
  VerifyReport r = Verify();
  EXPECT_EQ(r.problem, VerifyProblem::kBadSignature) << r.Summary();
  EXPECT_EQ(r.object, segments_[2].digest_key);
  EXPECT_EQ(VerifyExitCode(r.problem), 9);
}

TEST_F(VerifyTest, EditedDigestIsRefused) {
  std::string file = Read(segments_[1].digest_key);
  const size_t at = file.find("\"record_count\":20");
  ASSERT_NE(at, std::string::npos);
  file.replace(at, 17, "\"record_count\":19");
  Write(segments_[1].digest_key, file);
  VerifyReport r = Verify();
  EXPECT_EQ(r.problem, VerifyProblem::kBadSignature) << r.Summary();
  EXPECT_EQ(r.object, segments_[1].digest_key);
}

TEST_F(VerifyTest, ResignedDigestWithBrokenPredecessorLinkIsDetected) {
  // An insider with the signing key drops segment 2 and its digest and
  // re-links digest 3 to digest 1.
  Result<Digest> d = ParseDigest(Read(segments_[2].digest_key));
  ASSERT_TRUE(d.ok());
  const std::string first = Read(segments_[0].digest_key);
  d->prev_digest = segments_[0].digest_key;
  d->prev_digest_sha256 = Sha256Hex(first);
  d->prev_digest_signature = ParseDigest(first)->signature;
  d->number = 2;
  ASSERT_TRUE(SignDigest(key_, &*d).ok());
  Write(segments_[2].digest_key, EncodeDigest(*d));
  Remove(segments_[1].digest_key);
  Remove(segments_[1].data_key);
  Remove(segments_[1].index_key);
  VerifyReport r = Verify();
  EXPECT_EQ(r.problem, VerifyProblem::kMissingSegment) << r.Summary();
  EXPECT_EQ(r.seq, 21u);
}

TEST_F(VerifyTest, ResignedDigestPointingAtAWrongPredecessorHashIsModified) {
  Result<Digest> d = ParseDigest(Read(segments_[2].digest_key));
  ASSERT_TRUE(d.ok());
  d->prev_digest_sha256 = Sha256Hex("something else");
  ASSERT_TRUE(SignDigest(key_, &*d).ok());
  Write(segments_[2].digest_key, EncodeDigest(*d));
  VerifyReport r = Verify();
  EXPECT_EQ(r.problem, VerifyProblem::kModified) << r.Summary();
  EXPECT_EQ(r.object, segments_[2].digest_key);
}

TEST_F(VerifyTest, BackfilledSegmentWithoutDigestIsUnexpected) {
  const std::string backfill = DataKey("2026-01-01", 5, 7);
  Write(backfill, Read(segments_[0].data_key));
  VerifyReport r = Verify();
  EXPECT_EQ(r.problem, VerifyProblem::kUnexpectedObject) << r.Summary();
  EXPECT_EQ(r.object, backfill);
  EXPECT_EQ(VerifyExitCode(r.problem), 10);
}

TEST_F(VerifyTest, ForeignObjectIsUnexpected) {
  Write("data/dt=2026-01-01/notes.txt", "hello");
  VerifyReport r = Verify();
  EXPECT_EQ(r.problem, VerifyProblem::kUnexpectedObject) << r.Summary();
  EXPECT_EQ(r.object, "data/dt=2026-01-01/notes.txt");
}

TEST_F(VerifyTest, ModifiedIndexIsModifiedButMissingIndexIsFine) {
  Remove(segments_[0].index_key);
  EXPECT_TRUE(Verify().ok());
  Write(segments_[1].index_key, "not the index");
  VerifyReport r = Verify();
  EXPECT_EQ(r.problem, VerifyProblem::kModified) << r.Summary();
  EXPECT_EQ(r.object, segments_[1].index_key);
}

TEST_F(VerifyTest, RecompressedModifiedRecordIsModified) {
  // Re-write a segment with one record changed, as valid zstd: the data hash
  // and the chain both catch it.
  const SealedSegment& s = segments_[1];
  auto records = testing::Records(s.first_seq, 20, kDay0 + 3'600'000, 1000, kGenesisChainHash);
  records[3].bytes.replace(records[3].bytes.find("request"), 7, "REQUEST");
  SegmentBuilder builder;
  for (const ChainedRecord& c : records) ASSERT_TRUE(builder.Add(c).ok());
  Write(s.data_key, builder.Finish()->data);
  VerifyReport r = Verify();
  EXPECT_EQ(r.problem, VerifyProblem::kModified) << r.Summary();
  EXPECT_EQ(r.object, s.data_key);
}

TEST_F(VerifyTest, RangeVerifyIsAnchoredOnItsPredecessor) {
  VerifyOptions range;
  range.from_ms = kDay0 + kMillisPerDay;
  range.to_ms = kDay0 + kMillisPerDay;
  VerifyReport r = Verify(range);
  EXPECT_TRUE(r.ok()) << r.Summary();
  EXPECT_EQ(r.Summary(), "verified 20 records in 1 segments");
  // Damage outside the range does not matter; the anchor does.
  Remove(segments_[3].data_key);
  EXPECT_TRUE(Verify(range).ok());
  Remove(segments_[1].digest_key);
  VerifyReport broken = Verify(range);
  EXPECT_EQ(broken.problem, VerifyProblem::kMissingDigest) << broken.Summary();
  EXPECT_EQ(broken.object, segments_[1].digest_key);
}

TEST_F(VerifyTest, VerifyingWithAnotherPublicKeyFails) {
  Result<VerifyReport> r = VerifyArchive(*store_, testing::NewKey().PublicKey());
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->problem, VerifyProblem::kBadSignature);
  EXPECT_EQ(r->object, segments_[0].digest_key);
}

TEST(VerifyEmptyTest, EmptyArchiveVerifiesZero) {
  MemoryBlobStore store;
  Result<VerifyReport> r = VerifyArchive(store, testing::NewKey().PublicKey());
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->Summary(), "verified 0 records in 0 segments");
}

}  // namespace
}  // namespace kura::logs
