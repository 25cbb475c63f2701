// A planned listing (a local archive, a query on one counted field) knows
// from the index how many records of each block match. With version 5
// indexes it checks a block's compressed frame against the index's frame
// hash and then stops decoding the block once it has found them all.
#include <gtest/gtest.h>

#include <algorithm>
#include <string>
#include <vector>

#include "logs/search/search.h"
#include "logs/search/search_test_util.h"
#include "logs/segment/segment_index.h"
#include "logs/segment/segment_test_util.h"

namespace kura::logs {
namespace {

using testing::BruteForce;
using testing::Expected;
using testing::kTestEpochMs;
using testing::LocalArchive;

// 6,000 records of poorly compressible text (a 1 MiB block spans many
// decoding steps); the principal "zed" has six of them, two near the start
// of every 2,000 (seq 5, 9, 2005, 2009, 4005, 4009).
std::vector<ChainedRecord> NoisyRecords() {
  std::vector<LogRecord> recs;
  for (uint64_t seq = 1; seq <= 6000; ++seq) {
    std::string noise;
    for (uint64_t x = seq * 0x9E3779B97F4A7C15ull, i = 0; i < 8; ++i) {
      x ^= x >> 29;
      x *= 0xBF58476D1CE4E5B9ull;
      noise += std::to_string(x) + " ";
    }
    const bool needle = seq % 2000 == 5 || seq % 2000 == 9;
    recs.push_back(testing::MakeRecord(seq, kTestEpochMs + static_cast<int64_t>(seq) * 1000,
                                       needle ? "zed" : "alice", "card.reveal", "success",
                                       noise));
  }
  return testing::Chain(recs);
}

constexpr SegmentOptions kLargeBlocks{.block_bytes = 1 << 20, .zstd_level = 3};

SearchRequest Listing(std::string query, size_t limit = 100) {
  SearchRequest req;
  req.query = std::move(query);
  req.limit = limit;
  return req;
}

// One segment of NoisyRecords in a local archive (planned listings need one),
// its index object and its data object.
class SearchListingTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(local_.ok());
    auto index_keys = local_.store().List("index/");
    auto data_keys = local_.store().List("data/");
    ASSERT_TRUE(index_keys.ok() && data_keys.ok());
    ASSERT_EQ(index_keys->size(), 1u);
    ASSERT_EQ(data_keys->size(), 1u);
    index_key_ = index_keys->front();
    data_key_ = data_keys->front();
    auto index = DecodeSegmentIndex(*local_.store().Get(index_key_));
    ASSERT_TRUE(index.ok());
    index_ = std::move(index).value();
  }

  SearchEngine Engine() {
    return SearchEngine(local_.store(), nullptr, nullptr,
                        SearchOptions{.threads = 2, .local_root = local_.root()});
  }

  const std::vector<ChainedRecord> records_ = NoisyRecords();
  LocalArchive local_{records_, 10'000, kLargeBlocks};
  std::string index_key_;
  std::string data_key_;
  SegmentIndex index_;
};

TEST_F(SearchListingTest, StopsDecodingABlockOnceItsMatchesAreFound) {
  ASSERT_TRUE(index_.has_frame_hashes);
  ASSERT_GE(index_.blocks.size(), 2u);
  SearchEngine engine = Engine();
  for (const char* query : {"principal=zed", "principal=zed OR principal=nobody"}) {
    for (size_t limit : {size_t{1}, size_t{3}, size_t{100}}) {
      SCOPED_TRACE(std::string(query) + " limit " + std::to_string(limit));
      const SearchRequest req = Listing(query, limit);
      const Expected want = BruteForce(records_, req);
      ASSERT_EQ(want.newest_first.size(), 6u);
      auto r = engine.Search(req);
      ASSERT_TRUE(r.ok()) << r.status().ToString();
      EXPECT_TRUE(r->warnings.empty());
      EXPECT_EQ(r->records,
                std::vector<std::string>(want.newest_first.begin(),
                                         want.newest_first.begin() + std::min<size_t>(limit, 6)));
      EXPECT_EQ(r->truncated, limit < 6);
      EXPECT_GE(r->stats.blocks_decoded, 1u);
      // Every needle record sits well before its block's end.
      EXPECT_EQ(r->stats.blocks_stopped_early, r->stats.blocks_decoded);
    }
  }
  // A query the counts cannot bound (a word) decodes whole blocks.
  auto r = engine.Search(Listing("zed"));
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->records.size(), 6u);
  EXPECT_EQ(r->stats.blocks_stopped_early, 0u);
}

// Damage in a block past its last match, which a listing stopping there
// does not decode, is still found: the frame hash covers the whole frame.
TEST_F(SearchListingTest, DamagePastABlocksLastMatchIsReported) {
  auto data = local_.store().Get(data_key_);
  ASSERT_TRUE(data.ok());
  SearchEngine engine = Engine();
  const SearchRequest req = Listing("principal=zed");
  auto clean = engine.Search(req);
  ASSERT_TRUE(clean.ok());
  ASSERT_TRUE(clean->warnings.empty());
  ASSERT_GE(clean->stats.blocks_stopped_early, 1u);

  // A flipped byte near the end of the frame of the block with the newest
  // matches (seq 4005 and 4009, near its start).
  const BlockInfo* newest = nullptr;
  for (const BlockInfo& b : index_.blocks) {
    if (b.first_seq <= 4009 && 4009 <= b.last_seq) newest = &b;
  }
  ASSERT_NE(newest, nullptr);
  ASSERT_GT(newest->last_seq, 4500u);
  std::string bad = *data;
  bad[newest->offset + newest->length - 16] ^= 0x01;
  ASSERT_TRUE(local_.store().Put(data_key_, bad).ok());
  auto r = engine.Search(req);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  ASSERT_FALSE(r->warnings.empty());
  EXPECT_NE(r->warnings[0].find(data_key_), std::string::npos);
  EXPECT_LT(r->records.size(), clean->records.size());
  const Expected want = BruteForce(records_, req);
  for (const std::string& rec : r->records) {
    EXPECT_NE(std::find(want.newest_first.begin(), want.newest_first.end(), rec),
              want.newest_first.end());
  }
}

// Indexes written before version 5 have no frame hashes: the same listing
// decodes whole blocks, with the same records.
TEST_F(SearchListingTest, Version4IndexesDecodeWholeBlocks) {
  ASSERT_TRUE(local_.store().Put(index_key_, EncodeSegmentIndexVersion4(index_)).ok());
  const SearchRequest req = Listing("principal=zed", 4);
  auto r = Engine().Search(req);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_TRUE(r->warnings.empty());
  const Expected want = BruteForce(records_, req);
  EXPECT_EQ(r->records,
            std::vector<std::string>(want.newest_first.begin(), want.newest_first.begin() + 4));
  EXPECT_TRUE(r->truncated);
  EXPECT_GE(r->stats.blocks_decoded, 1u);
  EXPECT_EQ(r->stats.blocks_stopped_early, 0u);
}

}  // namespace
}  // namespace kura::logs
