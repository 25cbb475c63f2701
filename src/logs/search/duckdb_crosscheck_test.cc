// An independent engine reads the archive: DuckDB (@duckdb/node-api, run by
// duckdb/check.mjs) counts the records of hive-partitioned zstd JSON Lines
// data objects, and its counts must equal the search engine's. Needs node
// and `npm ci --prefix src/logs/search/duckdb` (scripts/install-deps.sh);
// without them the test fails, it does not skip.
#include <gtest/gtest.h>

#include <boost/json.hpp>
#include <cstdio>
#include <filesystem>

#include "core/blob/local_blob_store.h"
#include "core/fs/file_system.h"
#include "logs/search/search.h"
#include "logs/search/search_test_util.h"
#include "logs/segment/segment_test_util.h"

namespace kura::logs {
namespace {

std::string RunChecker(const std::string& data_dir, const std::string& from,
                       const std::string& to, const std::string& principal) {
  const std::string dir = KURA_DUCKDB_CHECK_DIR;
  const std::string cmd = "node " + dir + "/check.mjs '" + data_dir + "' " + from + " " + to +
                          " " + principal + " 2>&1";
  FILE* p = popen(cmd.c_str(), "r");
  if (p == nullptr) return "";
  std::string out;
  char buf[4096];
  size_t n;
  while ((n = fread(buf, 1, sizeof buf, p)) > 0) out.append(buf, n);
  pclose(p);
  return out;
}

TEST(DuckDbCrossCheckTest, DuckDbCountsEqualSearchCounts) {
  ASSERT_EQ(std::system("node --version > /dev/null 2>&1"), 0)
      << "node is not installed: run scripts/install-deps.sh (Debian nodejs npm)";
  ASSERT_TRUE(std::filesystem::exists(std::string(KURA_DUCKDB_CHECK_DIR) +
                                      "/node_modules/@duckdb/node-api"))
      << "@duckdb/node-api missing: run npm ci --prefix " << KURA_DUCKDB_CHECK_DIR;

  char tmpl[] = "/tmp/kura-duckdb-test-XXXXXX";
  ASSERT_NE(mkdtemp(tmpl), nullptr);
  PosixFileSystem fs;
  auto store = LocalBlobStore::Open(fs, tmpl);
  ASSERT_TRUE(store.ok());
  // 4 days, one record every 61 s, several segments per day, small blocks.
  auto records = testing::MakeChainedRecords(1, 4 * 1417, testing::kTestEpochMs, 61'000);
  ASSERT_TRUE(testing::WriteSegments(**store, records, 600,
                                     SegmentOptions{.block_bytes = 16384, .zstd_level = 3}));
  SearchEngine engine(**store, nullptr, nullptr,
                      SearchOptions{.threads = 2, .local_root = tmpl});

  auto count = [&](const std::string& query, const char* from, const char* to) {
    SearchRequest req;
    req.query = query;
    req.count = true;
    req.from_ms = *ParseTimeBound(from);
    req.to_ms = *ParseTimeBound(to) + kMillisPerDay;
    auto r = engine.Search(req);
    EXPECT_TRUE(r.ok()) << r.status().ToString();
    return r.ok() ? r->count : 0;
  };

  for (auto [from, to] : {std::pair{"2026-01-01", "2026-01-04"},
                          std::pair{"2026-01-02", "2026-01-03"}}) {
    const std::string out = RunChecker(std::string(tmpl) + "/data", from, to, "alice");
    boost::system::error_code ec;
    boost::json::value v = boost::json::parse(out, ec);
    ASSERT_FALSE(ec) << "checker output: " << out;
    const auto& o = v.as_object();
    EXPECT_EQ(o.at("total").to_number<uint64_t>(), count("", from, to)) << from;
    EXPECT_EQ(o.at("principal").to_number<uint64_t>(), count("principal=alice", from, to));
    EXPECT_GT(o.at("principal").to_number<uint64_t>(), 0u);
    for (const auto& [dt, n] : o.at("per_dt").as_object()) {
      const std::string day(dt);
      EXPECT_EQ(n.to_number<uint64_t>(), count("", day.c_str(), day.c_str())) << day;
    }
  }
  std::filesystem::remove_all(tmpl);
}

}  // namespace
}  // namespace kura::logs
