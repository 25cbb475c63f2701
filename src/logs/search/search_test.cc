#include "logs/search/search.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <map>
#include <optional>

#include "core/audit/audit_sink.h"
#include "core/base/clock.h"
#include "core/blob/local_blob_store.h"
#include "core/blob/memory_blob_store.h"
#include "core/fs/file_system.h"
#include "logs/search/query.h"
#include "logs/search/search_test_util.h"
#include "logs/segment/segment_index.h"
#include "logs/segment/segment_test_util.h"

namespace kura::logs {
namespace {

using testing::kTestEpochMs;

constexpr int64_t kHour = 3'600'000;

// 3 days of records, one every 90 s: ~2,880 records.
std::vector<ChainedRecord> Dataset() {
  return testing::MakeChainedRecords(1, 2880, kTestEpochMs, 90'000);
}

using testing::BruteForce;
using testing::Expected;
using testing::LocalArchive;

class SearchTest : public ::testing::Test {
 protected:
  void SetUp() override {
    records_ = Dataset();
    ASSERT_TRUE(testing::WriteSegments(store_, records_, 500,
                                       SegmentOptions{.block_bytes = 8192, .zstd_level = 3}));
  }

  SearchEngine Engine(SearchEngine::WalSource wal = nullptr) {
    return SearchEngine(store_, std::move(wal), &audit_);
  }

  void ExpectSameAsBruteForce(SearchEngine& engine, SearchRequest req) {
    SCOPED_TRACE(req.query);
    const Expected e = BruteForce(records_, req);
    auto r = engine.Search(req);
    ASSERT_TRUE(r.ok()) << r.status().ToString();
    EXPECT_TRUE(r->warnings.empty());
    const size_t want = std::min(req.limit, e.newest_first.size());
    EXPECT_EQ(r->records, std::vector<std::string>(e.newest_first.begin(),
                                                   e.newest_first.begin() + want));
    EXPECT_EQ(r->truncated, e.newest_first.size() > req.limit);
    req.count = true;
    auto c = engine.Search(req);
    ASSERT_TRUE(c.ok());
    EXPECT_EQ(c->count, e.newest_first.size());
    for (const char* g : {"event", "principal", "outcome"}) {
      req.group_by = g;
      const Expected eg = BruteForce(records_, req);
      auto gr = engine.Search(req);
      ASSERT_TRUE(gr.ok());
      const std::map<std::string, uint64_t> got(gr->groups.begin(), gr->groups.end());
      EXPECT_EQ(got, eg.groups) << g;
      EXPECT_EQ(gr->count, e.newest_first.size());
    }
  }

  FakeClock clock_;
  MemoryAuditSink* sink_ = new MemoryAuditSink;
  AuditLog audit_{clock_, "logs", "logs-1",
                  [this] {
                    std::vector<std::unique_ptr<AuditSink>> v;
                    v.emplace_back(sink_);
                    return v;
                  }()};
  MemoryBlobStore store_;
  std::vector<ChainedRecord> records_;
};

const char* const kQueries[] = {
    "",
    "principal=alice",
    "event=card.reveal outcome=failure",
    "principal=bob OR principal=carol",
    "NOT event=auth.login",
    "worker AND NOT principal=dave",
    "\"handled by worker 2\"",
    "request",
    "(event=key.rotate OR event=auth.login) -outcome=success",
    "outcome=failure",
    "principal=nobody",
    "event!=card.reveal",
    "reason=\"\"",
};

TEST_F(SearchTest, MatchesBruteForceForManyQueries) {
  SearchEngine engine = Engine();
  for (const char* q : kQueries) {
    SearchRequest req;
    req.query = q;
    req.limit = 37;
    ExpectSameAsBruteForce(engine, req);
  }
}

// The literal prefilter (Query::required_literal) never loses a record
// whose value is spelled with JSON escapes.
TEST(SearchPrefilterTest, EscapedValuesStillMatch) {
  auto records = testing::MakeChainedRecords(1, 300, kTestEpochMs, 1000);
  ChainHash prev = kGenesisChainHash;
  size_t escaped = 0;
  for (ChainedRecord& r : records) {
    const size_t at = r.bytes.find("\"principal\":\"alice\"");
    if (at != std::string::npos && r.seq % 2 == 0) {
      r.bytes.replace(at, 19, "\"principal\":\"\\u0061lice\"");
      ++escaped;
    }
    r.chain = NextChainHash(prev, r.bytes);
    prev = r.chain;
  }
  ASSERT_GT(escaped, 10u);
  MemoryBlobStore store;
  ASSERT_TRUE(testing::WriteSegments(store, records, 100,
                                     SegmentOptions{.block_bytes = 4096, .zstd_level = 1}));
  SearchEngine engine(store, nullptr, nullptr);
  SearchRequest req;
  req.query = "principal=alice outcome=success";
  req.limit = 1000;
  const Expected e = BruteForce(records, req);
  ASSERT_GT(e.newest_first.size(), escaped / 2);
  auto r = engine.Search(req);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->records, e.newest_first);
  req.count = true;
  req.query = "principal=alice";
  r = engine.Search(req);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->count, BruteForce(records, req).newest_first.size());
}

TEST_F(SearchTest, TimeRangesCutInsideBlocksAndPartitions) {
  SearchEngine engine = Engine();
  for (const char* q : {"", "principal=alice", "outcome=failure"}) {
    SearchRequest req;
    req.query = q;
    req.from_ms = kTestEpochMs + 20 * kHour + 12'345;
    req.to_ms = kTestEpochMs + 50 * kHour + 999;
    req.limit = 5000;
    ExpectSameAsBruteForce(engine, req);
  }
}

TEST_F(SearchTest, IndexSkipsBlocksAndCountsWithoutDecompressing) {
  SearchEngine engine = Engine();
  SearchRequest req;
  req.count = true;
  req.group_by = "event";
  auto r = engine.Search(req);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->count, records_.size());
  EXPECT_EQ(r->stats.blocks_decoded, 0u);
  EXPECT_EQ(r->stats.blocks_counted_by_index, r->stats.blocks);

  req = SearchRequest{};
  req.query = "principal=nobody";
  r = engine.Search(req);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->count, 0u);
  EXPECT_LE(r->stats.blocks_decoded, r->stats.blocks / 20);  // Bloom false positives only

  req.query = "event=card.reveal";
  req.count = true;
  r = engine.Search(req);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->count, records_.size() / 4);
  EXPECT_EQ(r->stats.blocks_decoded, 0u);

  // Principal is counted too: a needle count decodes nothing, and a needle
  // listing decodes only blocks that hold the principal.
  req.query = "principal=alice";
  r = engine.Search(req);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->count, records_.size() / 5);
  EXPECT_EQ(r->stats.blocks_decoded, 0u);
  req.query = "principal=nobody";
  req.count = false;
  r = engine.Search(req);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->count, 0u);
  EXPECT_EQ(r->stats.blocks_decoded, 0u);  // exact counts: no false positives
}

// A needle listing over a local archive is planned from the indexes' exact
// counts: only the segments holding the newest `limit` matches are read,
// each only as far as its share, however many threads could read segments
// at once; and "truncated" still says exactly whether more matches exist.
TEST_F(SearchTest, ANeedleListingReadsOnlyTheSegmentsItsLimitNeeds) {
  LocalArchive local(records_);
  ASSERT_TRUE(local.ok());
  SearchOptions options;
  options.threads = 4;
  options.local_root = local.root();
  SearchEngine engine(local.store(), nullptr, &audit_, options);
  SearchRequest req;
  req.query = "principal=alice";
  const Expected all = BruteForce(records_, req);
  // Matches in the newest segment (cut as testing::WriteSegments cuts: at
  // 500 records and at each new day).
  uint64_t newest_first_seq = 0;
  size_t in_segment = 0;
  std::string day;
  for (const ChainedRecord& r : records_) {
    if (FormatDate(r.received_ms) != day || in_segment >= 500) {
      day = FormatDate(r.received_ms);
      newest_first_seq = r.seq;
      in_segment = 0;
    }
    ++in_segment;
  }
  size_t in_newest = 0;
  std::string scratch;
  for (const ChainedRecord& r : records_) {
    if (r.seq >= newest_first_seq &&
        ScanRecord(r.bytes)->Text(kPrincipalFieldId, &scratch) == "alice") {
      ++in_newest;
    }
  }
  ASSERT_GT(in_newest, 10u);
  for (size_t limit : {size_t{1}, in_newest - 1, in_newest, in_newest + 1, all.newest_first.size(),
                       all.newest_first.size() + 5}) {
    SCOPED_TRACE(limit);
    req.limit = limit;
    auto r = engine.Search(req);
    ASSERT_TRUE(r.ok()) << r.status().ToString();
    const size_t want = std::min(limit, all.newest_first.size());
    EXPECT_EQ(r->records, std::vector<std::string>(all.newest_first.begin(),
                                                   all.newest_first.begin() + want));
    EXPECT_EQ(r->truncated, all.newest_first.size() > limit);
    if (limit <= in_newest) {
      EXPECT_EQ(r->stats.segments, 1u);
    } else if (limit == in_newest + 1) {
      EXPECT_EQ(r->stats.segments, 2u);
    }
  }
  // A word query cannot be planned (its index holds no counts): read in
  // waves of four segments, with the same results.
  req.query = "worker";
  req.limit = 3;
  auto r = engine.Search(req);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->records.size(), 3u);
  EXPECT_GT(r->stats.segments, 1u);
}

// Version 4 indexes: with 500 principals the counts are in 8 buckets, and a
// needle reads the directory and its own bucket by byte range. Results are
// exact; damage in a bucket the needle does not read does not affect it,
// damage it does read (its bucket, the directory) is reported and the
// segment scanned.
TEST(SearchBucketsTest, NeedlesOverManyPrincipalsReadTheirOwnBucket) {
  std::vector<LogRecord> recs;
  for (uint64_t seq = 1; seq <= 3000; ++seq) {
    recs.push_back(testing::MakeRecord(seq, kTestEpochMs + static_cast<int64_t>(seq) * 1000,
                                       "p" + std::to_string(seq * 7919 % 500), "card.read",
                                       seq % 7 == 0 ? "failure" : "success", "m"));
  }
  const std::vector<ChainedRecord> records = testing::Chain(recs);
  LocalArchive local(records, 10'000);
  ASSERT_TRUE(local.ok());
  SearchEngine engine(local.store(), nullptr, nullptr,
                      SearchOptions{.threads = 2, .local_root = local.root()});
  auto expect_exact = [&](const std::string& query, bool warned) {
    SCOPED_TRACE(query);
    for (size_t limit : {size_t{3}, size_t{1000}}) {
      SearchRequest req;
      req.query = query;
      req.limit = limit;
      const Expected want = BruteForce(records, req);
      auto r = engine.Search(req);
      ASSERT_TRUE(r.ok()) << r.status().ToString();
      EXPECT_EQ(r->records, std::vector<std::string>(
                                want.newest_first.begin(),
                                want.newest_first.begin() +
                                    static_cast<std::ptrdiff_t>(
                                        std::min(limit, want.newest_first.size()))));
      EXPECT_EQ(r->truncated, want.newest_first.size() > limit);
      EXPECT_EQ(r->warnings.empty(), !warned) << (r->warnings.empty() ? "" : r->warnings[0]);
      req.count = true;
      auto c = engine.Search(req);
      ASSERT_TRUE(c.ok());
      EXPECT_EQ(c->count, want.newest_first.size());
      EXPECT_EQ(c->stats.segments_scanned, warned ? 1u : 0u);
    }
  };
  for (const char* q : {"p7", "p123", "p499", "nobody"}) {
    expect_exact(std::string("principal=") + q, false);
  }
  expect_exact("principal=p7 OR principal=p123 outcome=failure", false);

  // The index object, its counts section and directory.
  auto keys = local.store().List("index/");
  ASSERT_TRUE(keys.ok());
  ASSERT_EQ(keys->size(), 1u);
  auto blob = local.store().Get(keys->front());
  ASSERT_TRUE(blob.ok());
  auto head = DecodeSegmentIndexHead(*blob);
  ASSERT_TRUE(head.ok());
  const IndexSection& sec = head->sections.back();
  ASSERT_EQ(sec.kind, IndexSection::Kind::kBucketedCounts);
  auto dir = DecodeCountsDirectory(sec, std::string_view(*blob).substr(sec.offset,
                                                                      sec.directory_length));
  ASSERT_TRUE(dir.ok());
  ASSERT_EQ(dir->buckets.size(), 8u);
  const size_t mine = CountsBucketOf(*dir, "p123");
  std::string other_value;  // a principal in another bucket
  for (int i = 0; i < 500 && other_value.empty(); ++i) {
    const std::string v = "p" + std::to_string(i);
    if (CountsBucketOf(*dir, v) != mine) other_value = v;
  }
  ASSERT_FALSE(other_value.empty());
  const CountsDirectory::Bucket& ob = dir->buckets[CountsBucketOf(*dir, other_value)];
  std::string bad = *blob;
  bad[sec.offset + ob.offset + ob.length / 2] ^= 0x02;
  ASSERT_TRUE(local.store().Put(keys->front(), bad).ok());
  expect_exact("principal=p123", false);                   // its bucket is intact
  expect_exact("principal=" + other_value, true);          // reads the damaged one
  bad = *blob;
  bad[sec.offset + sec.directory_length / 2] ^= 0x02;
  ASSERT_TRUE(local.store().Put(keys->front(), bad).ok());
  expect_exact("principal=p123", true);                    // the directory is damaged
}

// "More than N matches" is exact whichever way a listing is read — planned
// (local archive, one counted field) or in waves (a memory store, words, two
// fields) — also when a wave or the segments end exactly at the limit.
TEST_F(SearchTest, TruncatedIsExactForEveryLimitOnEveryPath) {
  LocalArchive local(records_);
  ASSERT_TRUE(local.ok());
  SearchOptions local_options;
  local_options.local_root = local.root();
  SearchEngine planned(local.store(), nullptr, &audit_, local_options);
  SearchEngine waves = Engine();
  for (const char* q : {"principal=alice", "event=card.reveal outcome=failure", "worker"}) {
    SearchRequest req;
    req.query = q;
    const Expected e = BruteForce(records_, req);
    std::vector<size_t> limits;
    for (size_t l = 1; l <= 120; ++l) limits.push_back(l);
    for (size_t l : {e.newest_first.size() - 1, e.newest_first.size(), e.newest_first.size() + 1}) {
      limits.push_back(l);
    }
    for (size_t limit : limits) {
      req.limit = limit;
      for (SearchEngine* engine : {&planned, &waves}) {
        auto r = engine->Search(req);
        ASSERT_TRUE(r.ok()) << r.status().ToString();
        ASSERT_EQ(r->records.size(), std::min(limit, e.newest_first.size())) << q << " " << limit;
        ASSERT_EQ(r->records.front(), e.newest_first.front()) << q << " " << limit;
        ASSERT_EQ(r->records.back(), e.newest_first[r->records.size() - 1]) << q << " " << limit;
        ASSERT_EQ(r->truncated, e.newest_first.size() > limit) << q << " " << limit;
      }
    }
  }
}

TEST_F(SearchTest, SegmentsWithoutIndexAreScannedWithTheSameResults) {
  ASSERT_TRUE(store_.Delete(*store_.List("index/").value().begin()).ok());
  auto keys = store_.List("index/");
  ASSERT_TRUE(keys.ok());
  ASSERT_TRUE(store_.Delete(keys->back()).ok());
  SearchEngine engine = Engine();
  SearchRequest req;
  req.query = "principal=alice";
  req.limit = 2000;
  ExpectSameAsBruteForce(engine, req);
  auto r = engine.Search(req);
  EXPECT_EQ(r->stats.segments_scanned, 2u);
}

// Flips one byte of the first index object: at `offset` of the section of
// `kind` (nullopt: inside the head).
void FlipIndexByte(BlobStore& store, std::optional<IndexSection::Kind> kind) {
  auto keys = store.List("index/");
  ASSERT_TRUE(keys.ok());
  auto blob = store.Get(keys->front());
  ASSERT_TRUE(blob.ok());
  auto head = DecodeSegmentIndexHead(*blob);
  ASSERT_TRUE(head.ok());
  size_t at = head->head_bytes / 2;
  if (kind) {
    auto it = std::find_if(head->sections.begin(), head->sections.end(),
                           [&](const IndexSection& s) { return s.kind == *kind; });
    ASSERT_NE(it, head->sections.end());
    at = it->offset + it->length / 2;
  }
  std::string bad = *blob;
  bad[at] ^= 0x01;
  ASSERT_TRUE(store.Put(keys->front(), bad).ok());
}

// A damaged part of an index that the query reads is detected: the segment
// is scanned instead (a warning), and the result is still exact. Both the
// whole-object path (memory store) and the range-read path (local store).
TEST_F(SearchTest, ACorruptIndexPartThatIsReadIsIgnoredWithAWarning) {
  struct Case {
    std::optional<IndexSection::Kind> part;
    const char* query;
  };
  const Case cases[] = {{std::nullopt, "principal=alice"},
                        {std::nullopt, ""},
                        {IndexSection::Kind::kBucketedCounts, "principal=alice"},
                        {IndexSection::Kind::kBloom, "worker"}};
  for (bool local : {false, true}) {
    for (const Case& c : cases) {
      SCOPED_TRACE(std::string(c.query) + (local ? " local" : " memory"));
      char tmpl[] = "/tmp/kura-search-test-XXXXXX";
      ASSERT_NE(mkdtemp(tmpl), nullptr);
      PosixFileSystem fs;
      auto disk = LocalBlobStore::Open(fs, tmpl);
      ASSERT_TRUE(disk.ok());
      MemoryBlobStore memory;
      BlobStore& store = local ? static_cast<BlobStore&>(**disk) : memory;
      ASSERT_TRUE(testing::WriteSegments(store, records_, 500,
                                         SegmentOptions{.block_bytes = 8192, .zstd_level = 3}));
      FlipIndexByte(store, c.part);
      SearchEngine engine(store, nullptr, &audit_,
                          SearchOptions{.threads = 2, .local_root = local ? tmpl : ""});
      SearchRequest req;
      req.query = c.query;
      req.count = true;
      auto r = engine.Search(req);
      ASSERT_TRUE(r.ok());
      EXPECT_EQ(r->count, BruteForce(records_, req).newest_first.size());
      ASSERT_EQ(r->warnings.size(), 1u);
      EXPECT_NE(r->warnings[0].find("index of"), std::string::npos);
      EXPECT_EQ(r->stats.segments_scanned, 1u);
      std::filesystem::remove_all(tmpl);
    }
  }
}

// A query reads only the parts of the index it needs: a counted-field count
// does not read (so cannot be hurt by) the Bloom filters, and stays exact.
TEST_F(SearchTest, AQueryReadsOnlyTheIndexPartsItNeeds) {
  FlipIndexByte(store_, IndexSection::Kind::kBloom);
  SearchEngine engine = Engine();
  for (const char* q : {"principal=alice", "event=card.reveal outcome=failure", ""}) {
    SearchRequest req;
    req.query = q;
    req.count = true;
    req.group_by = "event";
    auto r = engine.Search(req);
    ASSERT_TRUE(r.ok());
    EXPECT_TRUE(r->warnings.empty()) << q << (r->warnings.empty() ? "" : r->warnings[0]);
    EXPECT_EQ(r->stats.segments_scanned, 0u) << q;
    EXPECT_EQ(r->count, BruteForce(records_, req).newest_first.size()) << q;
  }
  // A word query needs the filters: that segment is scanned, still exact.
  SearchRequest req;
  req.query = "worker";
  req.count = true;
  auto r = engine.Search(req);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->warnings.size(), 1u);
  EXPECT_EQ(r->count, BruteForce(records_, req).newest_first.size());
}

TEST_F(SearchTest, ADamagedDataObjectIsReportedNotHidden) {
  auto keys = store_.List("data/");
  ASSERT_TRUE(keys.ok());
  auto blob = store_.Get(keys->front());
  std::string bad = *blob;
  bad[bad.size() / 2] ^= 0x01;
  ASSERT_TRUE(store_.Put(keys->front(), bad).ok());
  SearchEngine engine = Engine();
  SearchRequest req;
  req.count = true;
  req.query = "worker";
  auto r = engine.Search(req);
  ASSERT_TRUE(r.ok());
  ASSERT_FALSE(r->warnings.empty());
  EXPECT_NE(r->warnings[0].find(keys->front()), std::string::npos);
}

TEST_F(SearchTest, UnsealedWalRecordsAreNewestAndNotCountedTwice) {
  // The WAL holds the last 3 archived records (not yet dropped) and 5 new ones.
  auto more = testing::MakeChainedRecords(1, records_.size() + 5, kTestEpochMs, 90'000);
  std::vector<ChainedRecord> wal(more.end() - 8, more.end());
  SearchEngine engine = Engine([wal] { return Result<std::vector<ChainedRecord>>(wal); });
  SearchRequest req;
  req.limit = 6;
  auto r = engine.Search(req);
  ASSERT_TRUE(r.ok());
  ASSERT_EQ(r->records.size(), 6u);
  EXPECT_EQ(r->records[0], more.back().bytes);
  EXPECT_EQ(r->records[5], records_.back().bytes);
  req.count = true;
  r = engine.Search(req);
  EXPECT_EQ(r->count, records_.size() + 5);
  EXPECT_EQ(r->stats.wal_records, 5u);
  // The WAL's records fill the limit exactly: the archive still holds more.
  req.count = false;
  req.limit = 5;
  r = engine.Search(req);
  ASSERT_TRUE(r.ok());
  ASSERT_EQ(r->records.size(), 5u);
  EXPECT_EQ(r->records[4], more[more.size() - 5].bytes);
  EXPECT_TRUE(r->truncated);
}

TEST_F(SearchTest, LocalStoreReadsBlocksByRangeWithTheSameResults) {
  LocalArchive local(records_);
  ASSERT_TRUE(local.ok());
  SearchEngine engine(local.store(), nullptr, &audit_,
                      SearchOptions{.threads = 2, .local_root = local.root()});
  for (const char* q : kQueries) {
    SearchRequest req;
    req.query = q;
    req.limit = 50;
    ExpectSameAsBruteForce(engine, req);
  }
}

TEST_F(SearchTest, EverySearchIsAudited) {
  SearchEngine engine = Engine();
  SearchRequest req;
  req.query = "principal=alice 4111111111111111";
  req.principal = "auditor-1";
  req.origin = "10.1.2.3:4444";
  ASSERT_TRUE(engine.Search(req).ok());
  req.query = "principal=alice )";
  auto bad = engine.Search(req);
  EXPECT_EQ(bad.status().code(), StatusCode::kInvalidArgument);
  auto lines = sink_->lines();
  ASSERT_EQ(lines.size(), 2u);
  EXPECT_NE(lines[0].find("\"event\":\"logs.search\""), std::string::npos);
  EXPECT_NE(lines[0].find("\"outcome\":\"success\""), std::string::npos);
  EXPECT_NE(lines[0].find("\"principal\":\"auditor-1\""), std::string::npos);
  EXPECT_NE(lines[0].find("\"results\":\"0\""), std::string::npos);
  EXPECT_EQ(lines[0].find("4111111111111111"), std::string::npos);  // PAN masked
  EXPECT_NE(lines[1].find("\"outcome\":\"failure\""), std::string::npos);

  // No result without an audit trail.
  sink_->SetFailure(UnavailableError("disk full"));
  req.query = "principal=alice";
  auto r = engine.Search(req);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kUnavailable);
}

TEST_F(SearchTest, BadRequestsAreRefused) {
  SearchEngine engine = Engine();
  SearchRequest req;
  req.group_by = "colour";
  EXPECT_EQ(engine.Search(req).status().code(), StatusCode::kInvalidArgument);
  req = SearchRequest{};
  req.limit = 0;
  EXPECT_EQ(engine.Search(req).status().code(), StatusCode::kInvalidArgument);
  req = SearchRequest{};
  req.from_ms = 10;
  req.to_ms = 10;
  EXPECT_EQ(engine.Search(req).status().code(), StatusCode::kInvalidArgument);
}

TEST(SearchTimeTest, SinceAndBounds) {
  EXPECT_EQ(*ParseSinceDuration("90d"), 90 * kMillisPerDay);
  EXPECT_EQ(*ParseSinceDuration("12h"), 12 * kHour);
  EXPECT_EQ(*ParseSinceDuration("30m"), 30 * 60'000);
  for (const char* bad : {"", "d", "0d", "-1d", "5w", "1.5h", "99999999d"}) {
    EXPECT_EQ(ParseSinceDuration(bad).status().code(), StatusCode::kInvalidArgument) << bad;
  }
  EXPECT_EQ(*ParseTimeBound("2026-01-01"), kTestEpochMs);
  EXPECT_EQ(*ParseTimeBound("2026-01-01T01:00:00Z"), kTestEpochMs + kHour);
  EXPECT_EQ(ParseTimeBound("yesterday").status().code(), StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace kura::logs
