#include "logs/search/search_http.h"

#include <gtest/gtest.h>

#include <boost/json.hpp>

#include "core/audit/audit_sink.h"
#include "core/auth/api_key_store.h"
#include "core/blob/memory_blob_store.h"
#include "core/fs/file_system.h"
#include "core/http/http_server.h"
#include "core/http/http_test_util.h"
#include "core/http/https_client.h"
#include "logs/ingest/ingest_test_util.h"
#include "logs/search/search_test_util.h"
#include "logs/segment/segment_test_util.h"

namespace kura::logs {
namespace {

namespace json = boost::json;
using testing::kTestEpochMs;

// Over real HTTPS in-process: 2 days of records in the archive, 10 more
// unsealed ones from the "WAL".
class SearchHttpTest : public ::testing::Test {
 protected:
  void SetUp() override {
    records_ = testing::MakeChainedRecords(1, 1000, kTestEpochMs, 120'000);
    wal_ = testing::MakeChainedRecords(1001, 10, kTestEpochMs + 1000 * 120'000, 1000);
    ASSERT_TRUE(testing::WriteSegments(store_, records_, 300,
                                       SegmentOptions{.block_bytes = 8192, .zstd_level = 3}));
    clock_.SetUnixMillis(kTestEpochMs + 3 * kMillisPerDay);

    auto keys = auth::ApiKeyStore::Open(fs_, tmp_.path() + "/api-keys.json", clock_, random_);
    ASSERT_TRUE(keys.ok());
    keys_ = std::move(keys).value();
    reader_key_ = std::string(keys_->Create("console", {"logs:read"})->view());
    writer_key_ = std::string(keys_->Create("shipper", {"logs:write"})->view());
    auto authn = auth::Authenticator::Create(keys_.get(), {});
    ASSERT_TRUE(authn.ok());
    authenticator_ = std::move(authn).value();

    auto sink = std::make_unique<MemoryAuditSink>();
    sink_ = sink.get();
    std::vector<std::unique_ptr<AuditSink>> sinks;
    sinks.push_back(std::move(sink));
    audit_ = std::make_unique<AuditLog>(clock_, "logs", "n1", std::move(sinks));
    engine_ = std::make_unique<SearchEngine>(
        store_, [this]() -> Result<std::vector<ChainedRecord>> { return wal_; }, audit_.get());
    api_ = std::make_unique<SearchHttp>(*engine_, *authenticator_, clock_, audit_.get());
    api_->RegisterRoutes(router_);

    auto server = http::HttpServer::Create(http::testing::TestServerOptions(), router_.AsHandler());
    ASSERT_TRUE(server.ok()) << server.status().ToString();
    server_ = std::move(server).value();
    ASSERT_TRUE(server_->Start().ok());
    auto client = http::HttpsClient::Create(http::testing::TestClientOptions());
    ASSERT_TRUE(client.ok());
    client_ = std::move(client).value();
  }
  void TearDown() override { server_->Shutdown(); }

  http::HttpResponse Get(const std::string& target, const std::string& key) {
    std::vector<std::pair<std::string, std::string>> headers;
    if (!key.empty()) headers.emplace_back("Authorization", "Bearer " + key);
    auto r = client_->Request("GET", "127.0.0.1", server_->port(), target, "", headers);
    EXPECT_TRUE(r.ok()) << r.status().ToString();
    return r.ok() ? *r : http::HttpResponse{};
  }
  json::object GetJson(const std::string& target, int want_status = 200) {
    http::HttpResponse r = Get(target, reader_key_);
    EXPECT_EQ(r.status, want_status) << r.body;
    return json::parse(r.body).as_object();
  }

  // Everything (archive + WAL), newest first.
  std::vector<ChainedRecord> All() const {
    std::vector<ChainedRecord> all(records_.rbegin(), records_.rend());
    all.insert(all.begin(), wal_.rbegin(), wal_.rend());
    return all;
  }

  testing::TempDir tmp_;
  PosixFileSystem fs_;
  FakeClock clock_;
  SeededRandom random_{11};
  MemoryBlobStore store_;
  std::vector<ChainedRecord> records_, wal_;
  std::unique_ptr<auth::ApiKeyStore> keys_;
  std::unique_ptr<auth::Authenticator> authenticator_;
  MemoryAuditSink* sink_ = nullptr;
  std::unique_ptr<AuditLog> audit_;
  std::unique_ptr<SearchEngine> engine_;
  std::unique_ptr<SearchHttp> api_;
  http::Router router_;
  std::unique_ptr<http::HttpServer> server_;
  std::unique_ptr<http::HttpsClient> client_;
  std::string reader_key_, writer_key_;
};

TEST_F(SearchHttpTest, ReturnsRecordsNewestFirstAsJsonObjects) {
  json::object o = GetJson("/v1/search?q=principal%3Dalice&limit=5");
  std::vector<std::string> want;
  for (const ChainedRecord& r : All()) {
    if (r.bytes.find("\"principal\":\"alice\"") != std::string::npos) want.push_back(r.bytes);
  }
  ASSERT_GT(want.size(), 5u);
  json::array recs = o["records"].as_array();
  ASSERT_EQ(recs.size(), 5u);
  for (size_t i = 0; i < 5; ++i) {
    EXPECT_EQ(recs[i], json::parse(want[i])) << i;  // objects, not strings
  }
  EXPECT_EQ(o["count"].as_int64(), 5);
  EXPECT_TRUE(o["truncated"].as_bool());
  EXPECT_FALSE(o["incomplete"].as_bool());
  // The newest is an unsealed WAL record: instantly searchable.
  EXPECT_GT(recs[0].as_object()["seq"].as_int64(), 1000);
}

TEST_F(SearchHttpTest, CountsAndGroupsOverTimeRanges) {
  uint64_t failures = 0, in_day = 0;
  std::map<std::string, int64_t> by_event;
  const int64_t day2 = kTestEpochMs + kMillisPerDay;
  for (const ChainedRecord& r : All()) {
    const bool failure = r.bytes.find("\"outcome\":\"failure\"") != std::string::npos;
    failures += failure;
    if (r.received_ms >= day2 && r.received_ms < day2 + kMillisPerDay && failure) ++in_day;
    auto v = DecodeRecord(r.bytes);
    ++by_event[v->event];
  }
  json::object c = GetJson("/v1/search?q=outcome%3Dfailure&count=1");
  EXPECT_EQ(c["count"].as_int64(), static_cast<int64_t>(failures));
  EXPECT_FALSE(c.contains("records"));

  c = GetJson("/v1/search?q=outcome%3Dfailure&count=true&from=2026-01-02&to=2026-01-02");
  EXPECT_EQ(c["count"].as_int64(), static_cast<int64_t>(in_day));
  EXPECT_GT(in_day, 0u);
  EXPECT_LT(in_day, failures);

  json::object g = GetJson("/v1/search?group_by=event");
  EXPECT_EQ(g["count"].as_int64(), static_cast<int64_t>(All().size()));
  EXPECT_EQ(g["group_by"].as_string(), "event");
  std::map<std::string, int64_t> got;
  for (const json::value& v : g["groups"].as_array()) {
    got[std::string(v.as_object().at("value").as_string())] = v.as_object().at("count").as_int64();
  }
  EXPECT_EQ(got, by_event);

  // An absent field groups as null.
  g = GetJson("/v1/search?group_by=reason&since=90d");
  json::array groups = g["groups"].as_array();
  ASSERT_EQ(groups.size(), 1u);
  EXPECT_TRUE(groups[0].as_object().at("value").is_null());
  EXPECT_EQ(groups[0].as_object().at("count").as_int64(), static_cast<int64_t>(All().size()));

  // since is relative to the clock: nothing in the last hour.
  c = GetJson("/v1/search?count=1&since=1h");
  EXPECT_EQ(c["count"].as_int64(), 0);
}

TEST_F(SearchHttpTest, BadParametersAndQueriesAre400WithoutEcho) {
  struct Case {
    const char* target;
    const char* must_contain;
  };
  const Case cases[] = {
      {"/v1/search?q=principal%3D%28secret4111111111111111", "position"},
      {"/v1/search?q=nosuchfield%3Dsecretvalue", "position"},
      {"/v1/search?limit=0", "limit"},
      {"/v1/search?limit=100001", "limit"},
      {"/v1/search?limit=12abc", "limit"},
      {"/v1/search?count=maybe", "count"},
      {"/v1/search?since=90y", "since"},
      {"/v1/search?since=1d&from=2026-01-01", "exclude"},
      {"/v1/search?from=yesterday-secret", "from"},
      {"/v1/search?to=2026-13-45", "to"},
      {"/v1/search?group_by=secretfield", "group"},
      {"/v1/search?qq=typo-secret", "unknown parameter"},
      {"/v1/search?from=2026-01-03&to=2026-01-01", "empty time range"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.target);
    http::HttpResponse r = Get(c.target, reader_key_);
    EXPECT_EQ(r.status, 400) << r.body;
    json::object o = json::parse(r.body).as_object();
    EXPECT_EQ(o["error"].as_object()["code"].as_string(), "invalid_argument");
    EXPECT_NE(r.body.find(c.must_contain), std::string::npos) << r.body;
    EXPECT_EQ(r.body.find("secret"), std::string::npos) << r.body;
    EXPECT_EQ(r.body.find("4111"), std::string::npos) << r.body;
  }
  // Every refusal is audited as a failed logs.search by the key's name.
  size_t failed = 0;
  for (const std::string& line : sink_->lines()) {
    json::object e = json::parse(line).as_object();
    EXPECT_EQ(e["event"].as_string(), "logs.search");
    EXPECT_EQ(e["principal"].as_string(), "console");
    EXPECT_EQ(line.find("4111111111111111"), std::string::npos) << line;  // masked
    failed += e["outcome"].as_string() == "failure";
  }
  EXPECT_EQ(failed, std::size(cases));
}

TEST_F(SearchHttpTest, NeedsAKeyWithLogsRead) {
  EXPECT_EQ(Get("/v1/search?q=alice", "").status, 401);
  EXPECT_EQ(Get("/v1/search?q=alice", "kura_bogus_key").status, 401);
  http::HttpResponse r = Get("/v1/search?q=alice", writer_key_);
  EXPECT_EQ(r.status, 403);
  EXPECT_NE(r.body.find("logs:read"), std::string::npos);
  EXPECT_TRUE(sink_->lines().empty());  // nothing was searched
}

TEST_F(SearchHttpTest, EverySearchIsAuditedWithTheKeyNameAndPeer) {
  GetJson("/v1/search?q=event%3Dcard.reveal&count=1&from=2026-01-01");
  auto lines = sink_->lines();
  ASSERT_EQ(lines.size(), 1u);
  json::object e = json::parse(lines[0]).as_object();
  EXPECT_EQ(e["event"].as_string(), "logs.search");
  EXPECT_EQ(e["outcome"].as_string(), "success");
  EXPECT_EQ(e["principal"].as_string(), "console");
  EXPECT_EQ(std::string(e["origin"].as_string()).rfind("127.0.0.1:", 0), 0u);
  EXPECT_NE(lines[0].find("event=card.reveal"), std::string::npos);
  EXPECT_NE(lines[0].find("2026-01-01T00:00:00"), std::string::npos);
}

TEST_F(SearchHttpTest, DamagedSegmentIsReportedIncomplete) {
  auto keys = store_.List("data/");
  ASSERT_TRUE(keys.ok());
  ASSERT_FALSE(keys->empty());
  ASSERT_TRUE(store_.Put(keys->front(), "not zstd at all").ok());
  auto k = ParseArchiveKey(keys->front());
  ASSERT_TRUE(k.ok());
  ASSERT_TRUE(store_.Delete(IndexKey(k->dt, k->first_seq, k->last_seq)).ok());
  json::object o = GetJson("/v1/search?count=1");
  EXPECT_TRUE(o["incomplete"].as_bool());
  EXPECT_FALSE(o["warnings"].as_array().empty());
  EXPECT_LT(o["count"].as_int64(), static_cast<int64_t>(All().size()));
}

}  // namespace
}  // namespace kura::logs
