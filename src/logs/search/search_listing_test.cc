// A planned listing (a local archive, a query on one counted field) knows
// from the index how many records of each block match. With version 5
// indexes it checks a block's compressed frame against the index's frame
// hash and then stops decoding the block once it has found them all.
#include <gtest/gtest.h>

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

TEST(SearchListingTest, StopsDecodingABlockOnceItsMatchesAreFound) {
  const std::vector<ChainedRecord> records = NoisyRecords();
  LocalArchive local(records, 10'000, kLargeBlocks);
  ASSERT_TRUE(local.ok());
  auto keys = local.store().List("index/");
  ASSERT_TRUE(keys.ok());
  ASSERT_EQ(keys->size(), 1u);
  auto index = DecodeSegmentIndex(*local.store().Get(keys->front()));
  ASSERT_TRUE(index.ok());
  ASSERT_TRUE(index->has_frame_hashes);
  ASSERT_GE(index->blocks.size(), 2u);

  SearchEngine engine(local.store(), nullptr, nullptr,
                      SearchOptions{.threads = 2, .local_root = local.root()});
  for (const char* query : {"principal=zed", "principal=zed OR principal=nobody"}) {
    for (size_t limit : {size_t{1}, size_t{3}, size_t{100}}) {
      SCOPED_TRACE(std::string(query) + " limit " + std::to_string(limit));
      const SearchRequest req = Listing(query, limit);
      const Expected want = BruteForce(records, req);
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
TEST(SearchListingTest, DamagePastABlocksLastMatchIsReported) {
  const std::vector<ChainedRecord> records = NoisyRecords();
  LocalArchive local(records, 10'000, kLargeBlocks);
  ASSERT_TRUE(local.ok());
  auto index_keys = local.store().List("index/");
  auto data_keys = local.store().List("data/");
  ASSERT_TRUE(index_keys.ok() && data_keys.ok());
  ASSERT_EQ(data_keys->size(), 1u);
  auto index = DecodeSegmentIndex(*local.store().Get(index_keys->front()));
  ASSERT_TRUE(index.ok());
  auto data = local.store().Get(data_keys->front());
  ASSERT_TRUE(data.ok());

  SearchEngine engine(local.store(), nullptr, nullptr,
                      SearchOptions{.threads = 2, .local_root = local.root()});
  const SearchRequest req = Listing("principal=zed");
  auto clean = engine.Search(req);
  ASSERT_TRUE(clean.ok());
  ASSERT_TRUE(clean->warnings.empty());
  ASSERT_GE(clean->stats.blocks_stopped_early, 1u);

  // A flipped byte near the end of the frame of the block with the newest
  // matches (seq 4005 and 4009, near its start).
  const BlockInfo* newest = nullptr;
  for (const BlockInfo& b : index->blocks) {
    if (b.first_seq <= 4009 && 4009 <= b.last_seq) newest = &b;
  }
  ASSERT_NE(newest, nullptr);
  ASSERT_GT(newest->last_seq, 4500u);
  std::string bad = *data;
  bad[newest->offset + newest->length - 16] ^= 0x01;
  ASSERT_TRUE(local.store().Put(data_keys->front(), bad).ok());
  auto r = engine.Search(req);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  ASSERT_FALSE(r->warnings.empty());
  EXPECT_NE(r->warnings[0].find(data_keys->front()), std::string::npos);
  EXPECT_LT(r->records.size(), clean->records.size());
  const Expected want = BruteForce(records, req);
  for (const std::string& rec : r->records) {
    EXPECT_NE(std::find(want.newest_first.begin(), want.newest_first.end(), rec),
              want.newest_first.end());
  }
}

// Indexes written before version 5 have no frame hashes: the same listing
// decodes whole blocks, with the same records.
TEST(SearchListingTest, Version4IndexesDecodeWholeBlocks) {
  const std::vector<ChainedRecord> records = NoisyRecords();
  LocalArchive local(records, 10'000, kLargeBlocks);
  ASSERT_TRUE(local.ok());
  auto keys = local.store().List("index/");
  ASSERT_TRUE(keys.ok());
  for (const std::string& key : *keys) {
    auto index = DecodeSegmentIndex(*local.store().Get(key));
    ASSERT_TRUE(index.ok());
    ASSERT_TRUE(local.store().Put(key, EncodeSegmentIndexVersion4(*index)).ok());
  }
  SearchEngine engine(local.store(), nullptr, nullptr,
                      SearchOptions{.threads = 2, .local_root = local.root()});
  const SearchRequest req = Listing("principal=zed", 4);
  auto r = engine.Search(req);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_TRUE(r->warnings.empty());
  const Expected want = BruteForce(records, req);
  EXPECT_EQ(r->records,
            std::vector<std::string>(want.newest_first.begin(), want.newest_first.begin() + 4));
  EXPECT_TRUE(r->truncated);
  EXPECT_GE(r->stats.blocks_decoded, 1u);
  EXPECT_EQ(r->stats.blocks_stopped_early, 0u);
}

}  // namespace
}  // namespace kura::logs
