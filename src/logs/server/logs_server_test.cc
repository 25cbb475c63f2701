#include "logs/server/logs_server.h"

#include <gtest/gtest.h>

#include <optional>

#include <boost/asio.hpp>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <sched.h>
#include <sstream>
#include <thread>

#include "core/auth/api_key_store.h"
#include "core/blob/local_blob_store.h"
#include "core/http/http_test_util.h"
#include "core/http/https_client.h"
#include "logs/archive/archive.h"
#include "logs/archive/digest_keys.h"
#include "logs/ingest/ingest_test_util.h"
#include "logs/ingest/wal_reader.h"

namespace kura::logs {
namespace {

namespace net = boost::asio;

// A test node's surroundings: a data dir with the digest signing key, the
// real file system, clock and randomness.
struct TestNode {
  TestNode() { EXPECT_TRUE(InitDigestKeys(fs, tmp.path()).ok()); }
  // Node "n1" on tmp with syslog on a free port; everything else default.
  LogsConfig Config() const {
    LogsConfig c;
    c.data_dir = tmp.path();
    c.node_id = "n1";
    c.syslog_enabled = true;
    c.syslog_port = 0;
    return c;
  }
  // Config() plus HTTPS ingest with the test certificate, and only the
  // events a test sends in the store (no own audit events).
  LogsConfig HttpConfig() const {
    LogsConfig c = Config();
    c.audit_store = false;
    c.http_enabled = true;
    c.http_port = 0;
    c.http_tls_cert = http::testing::GetTestPki().cert_file;
    c.http_tls_key = http::testing::GetTestPki().key_file;
    return c;
  }
  // A new API key with scope logs:write in the node's key store.
  std::string WriterKey() {
    auto keys = auth::ApiKeyStore::Open(fs, tmp.path() + "/api-keys.json", clock, random);
    EXPECT_TRUE(keys.ok());
    if (!keys.ok()) return "";
    return std::string(keys.value()->Create("shipper", {"logs:write"})->view());
  }
  Result<std::unique_ptr<LogsServer>> Start(const LogsConfig& c) {
    return LogsServer::Start(c, LogsEnv{fs, clock, random});
  }

  testing::TempDir tmp;
  PosixFileSystem fs;
  SystemClock clock;
  OsRandom random;
};

TEST(LogsServerTest, HttpSyslogAndVaultTailLandInTheStoreAndSeal) {
  TestNode node;
  const testing::TempDir& tmp = node.tmp;
  PosixFileSystem& fs = node.fs;
  SystemClock& clock = node.clock;
  OsRandom& random = node.random;
  const std::string key = node.WriterKey();
  const std::string vault_audit = tmp.path() + "/vault-audit.log";
  std::ofstream(vault_audit) << R"({"ts":"2026-01-01T00:00:00.000Z","seq":1,"service":"vault","node":"v","event":"card.reveal","outcome":"success","principal":"alice","origin":"local","resource":"tok_9"})"
                             << "\n";

  LogsConfig c = node.HttpConfig();
  c.tails.push_back(TailSource{"vault", vault_audit});
  c.tail_interval = std::chrono::milliseconds(20);
  c.audit_file = "logs-audit.log";
  auto server = node.Start(c);
  ASSERT_TRUE(server.ok()) << server.status().ToString();

  auto client = http::HttpsClient::Create(http::testing::TestClientOptions());
  auto r = (*client)->Request("POST", "127.0.0.1", (*server)->http_port(), "/v1/events",
                              "{\"event\":\"login\",\"principal\":\"bob\"}\n",
                              {{"Authorization", "Bearer " + key}});
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->status, 200) << r->body;
  {
    net::io_context ioc;
    net::ip::tcp::socket s(ioc);
    s.connect({net::ip::make_address("127.0.0.1"), (*server)->syslog_port()});
    net::write(s, net::buffer(std::string("<14>1 - web app - - - syslog line\n")));
    s.shutdown(net::ip::tcp::socket::shutdown_send);
    boost::system::error_code ec;
    char b[16];
    while (!ec) s.read_some(net::buffer(b), ec);  // closed once durable
  }
  for (int i = 0; i < 500 && (*server)->stats().accepted < 3; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  EXPECT_EQ((*server)->stats().accepted, 3u);

  ASSERT_TRUE((*server)->SealNow().ok());
  (*server)->Shutdown();

  auto blobs = LocalBlobStore::Open(fs, tmp.path() + "/archive");
  ASSERT_TRUE(blobs.ok());
  Archive archive(**blobs, std::nullopt, clock);
  auto tail = archive.Tail();
  ASSERT_TRUE(tail.ok()) << tail.status().ToString();
  EXPECT_EQ(tail->last_seq, 3u);

  auto audit = fs.ReadFile(tmp.path() + "/logs-audit.log");
  ASSERT_TRUE(audit.ok());
  EXPECT_NE(audit->find("\"event\":\"service.start\""), std::string::npos);
  EXPECT_NE(audit->find("\"event\":\"service.stop\""), std::string::npos);

  // A restart joins the WAL to the archive and continues the chain.
  c.tails.clear();
  auto again = LogsServer::Start(c, LogsEnv{fs, clock, random});
  ASSERT_TRUE(again.ok()) << again.status().ToString();
  auto client2 = http::HttpsClient::Create(http::testing::TestClientOptions());
  r = (*client2)->Request("POST", "127.0.0.1", (*again)->http_port(), "/v1/events",
                          "{\"event\":\"after.restart\"}\n", {{"Authorization", "Bearer " + key}});
  ASSERT_TRUE(r.ok());
  EXPECT_NE(r->body.find("\"first_seq\":4"), std::string::npos) << r->body;
  auto wal = ReadWalRecords(fs, tmp.path() + "/wal");
  ASSERT_TRUE(wal.ok());
  ASSERT_FALSE(wal->empty());
  for (const ChainedRecord& rec : *wal) EXPECT_GT(rec.seq, 3u);  // sealed files dropped
}

// More than one segment's worth unsealed (after a burst): SealNow seals all
// of it, one segment of at most max_bytes after another, and the archive
// verifies as one chain.
TEST(LogsServerTest, SealNowSealsABacklogOfSeveralSegments) {
  TestNode node;
  const testing::TempDir& tmp = node.tmp;
  PosixFileSystem& fs = node.fs;
  SystemClock& clock = node.clock;
  const std::string key = node.WriterKey();
  LogsConfig c = node.HttpConfig();
  c.seal_max_bytes = 2000;  // ~10 of the events below per segment
  auto server = node.Start(c);
  ASSERT_TRUE(server.ok()) << server.status().ToString();

  std::string body;
  for (int i = 0; i < 60; ++i) {
    body += "{\"event\":\"backlog\",\"principal\":\"p" + std::to_string(i) + "\"}\n";
  }
  auto client = http::HttpsClient::Create(http::testing::TestClientOptions());
  auto r = (*client)->Request("POST", "127.0.0.1", (*server)->http_port(), "/v1/events", body,
                              {{"Authorization", "Bearer " + key}});
  ASSERT_TRUE(r.ok());
  ASSERT_EQ(r->status, 200) << r->body;

  ASSERT_TRUE((*server)->SealNow().ok());
  auto blobs = LocalBlobStore::Open(fs, tmp.path() + "/archive");
  ASSERT_TRUE(blobs.ok());
  Archive archive(**blobs, std::nullopt, clock);
  auto tail = archive.Tail();
  ASSERT_TRUE(tail.ok()) << tail.status().ToString();
  EXPECT_EQ(tail->last_seq, 60u);
  auto digests = (*blobs)->List("digest/");
  ASSERT_TRUE(digests.ok());
  EXPECT_GE(digests->size(), 4u);  // 60 events of ~200 bytes in segments of <= 2000 bytes
  (*server)->Shutdown();
}

// Scheduling policy (field 41) and nice value (field 19) of every thread of
// this process, from /proc/self/task/<tid>/stat.
std::vector<std::pair<int, int>> ThreadPolicies() {
  std::vector<std::pair<int, int>> out;
  for (const auto& e : std::filesystem::directory_iterator("/proc/self/task")) {
    std::ifstream in(e.path() / "stat");
    std::string stat((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    const size_t close = stat.rfind(')');  // the thread name may hold spaces
    if (close == std::string::npos) continue;
    std::istringstream fields(stat.substr(close + 2));
    std::vector<std::string> f((std::istream_iterator<std::string>(fields)),
                               std::istream_iterator<std::string>());
    // f[0] is field 3 (state): field n is f[n - 3].
    if (f.size() < 39) continue;
    out.emplace_back(std::stoi(f[41 - 3]), std::stoi(f[19 - 3]));
  }
  return out;
}

// The sealing thread yields the CPU to ingest: SCHED_IDLE by default, nice
// 10 with [seal] idle_priority = false.
TEST(LogsServerTest, SealingThreadRunsAtIdleOrBackgroundPriority) {
  constexpr int kSchedIdle = 5;
  for (bool idle : {true, false}) {
    SCOPED_TRACE(idle ? "idle_priority = true" : "idle_priority = false");
    TestNode node;
    LogsConfig c = node.Config();
    c.seal_idle_priority = idle;
    const auto before = ThreadPolicies();
    auto server = node.Start(c);
    ASSERT_TRUE(server.ok()) << server.status().ToString();
    auto count = [](const std::vector<std::pair<int, int>>& threads, int policy, int nice) {
      return std::count(threads.begin(), threads.end(), std::make_pair(policy, nice));
    };
    // The tailer (the admin audit file is always tailed) and, without
    // idle_priority, the sealer run at nice 10.
    const long want_idle = idle ? 1 : 0;
    const long want_nice = idle ? 1 : 2;
    // The threads set their own priority first thing: wait until they have.
    std::vector<std::pair<int, int>> now;
    for (int i = 0; i < 500; ++i) {
      now = ThreadPolicies();
      if (count(now, kSchedIdle, 0) - count(before, kSchedIdle, 0) >= want_idle &&
          count(now, SCHED_OTHER, 10) - count(before, SCHED_OTHER, 10) >= want_nice) {
        break;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    EXPECT_EQ(count(now, kSchedIdle, 0) - count(before, kSchedIdle, 0), want_idle);
    EXPECT_EQ(count(now, SCHED_OTHER, 10) - count(before, SCHED_OTHER, 10), want_nice);
    (*server)->Shutdown();
  }
}

TEST(LogsServerTest, OwnAuditEventsAreStoredWhenAuditStoreIsOn) {
  TestNode node;
  const testing::TempDir& tmp = node.tmp;
  PosixFileSystem& fs = node.fs;
  LogsConfig c = node.Config();
  c.audit_file = "logs-audit.log";
  c.audit_store = true;
  auto server = node.Start(c);
  ASSERT_TRUE(server.ok()) << server.status().ToString();
  (*server)->Shutdown();

  auto wal = ReadWalRecords(fs, tmp.path() + "/wal");
  ASSERT_TRUE(wal.ok()) << wal.status().ToString();
  std::vector<std::string> events;
  for (const ChainedRecord& rec : *wal) {
    auto d = DecodeRecord(rec.bytes);
    ASSERT_TRUE(d.ok());
    EXPECT_EQ(d->service, "logs");
    EXPECT_EQ(d->source, "self");
    events.push_back(d->event);
  }
  EXPECT_EQ(events, (std::vector<std::string>{"service.start", "service.stop"}));
  // The [audit] file keeps its copy.
  auto audit = fs.ReadFile(tmp.path() + "/logs-audit.log");
  ASSERT_TRUE(audit.ok());
  EXPECT_NE(audit->find("\"event\":\"service.stop\""), std::string::npos);
}

TEST(LogsServerTest, CliAdminAuditEventsAreFollowedIntoTheStore) {
  TestNode node;
  const testing::TempDir& tmp = node.tmp;
  PosixFileSystem& fs = node.fs;
  // What `kura logs search` appends when someone reads the logs.
  ASSERT_TRUE(fs.CreateDirs(tmp.path() + "/audit").ok());
  ASSERT_TRUE(fs.WriteFileAtomic(tmp.path() + "/audit/logs-admin.jsonl",
                                 R"({"ts":"2026-01-01T00:00:00.000Z","seq":1,"service":"logs",)"
                                 R"("node":"cli","event":"logs.search","outcome":"success",)"
                                 R"("principal":"alice","origin":"local","resource":""})"
                                 "\n")
                  .ok());
  LogsConfig c = node.Config();
  c.audit_store = true;
  c.tail_interval = std::chrono::milliseconds(10);
  auto server = node.Start(c);
  ASSERT_TRUE(server.ok()) << server.status().ToString();
  auto find_search = [&]() -> std::optional<LogRecord> {
    auto wal = ReadWalRecords(fs, tmp.path() + "/wal");
    if (!wal.ok()) return std::nullopt;
    for (const ChainedRecord& rec : *wal) {
      auto d = DecodeRecord(rec.bytes);
      if (d.ok() && d->event == "logs.search") return *d;
    }
    return std::nullopt;
  };
  std::optional<LogRecord> found;
  for (int i = 0; i < 500 && !(found = find_search()); ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  (*server)->Shutdown();
  ASSERT_TRUE(found.has_value()) << "the CLI's logs.search event never reached the store";
  EXPECT_EQ(found->principal, "alice");
  EXPECT_EQ(found->source, "file");
}

TEST(LogsServerTest, ASealingNodeAppliesTheRetentionPeriod) {
  testing::TempDir tmp;
  PosixFileSystem fs;
  FakeClock clock(1'767'225'600'000);  // 2026-01-01
  OsRandom random;
  ASSERT_TRUE(InitDigestKeys(fs, tmp.path()).ok());
  constexpr int64_t kDay = 86'400'000;
  std::string old_data_key;
  {
    // One segment 400 days old and one 10 days old, sealed before the node starts.
    auto blobs = LocalBlobStore::Open(fs, tmp.path() + "/archive");
    ASSERT_TRUE(blobs.ok());
    auto key = LoadDigestSigningKey(fs, tmp.path());
    ASSERT_TRUE(key.ok());
    Archive archive(**blobs, std::move(key).value(), clock);
    ChainHash prev = kGenesisChainHash;
    for (int64_t age_days : {400, 10}) {
      LogRecord r;
      r.seq = age_days == 400 ? 1 : 2;
      r.received_ms = r.ts_ms = clock.NowUnixMillis() - age_days * kDay;
      r.node = "n0";
      r.source = "http";
      r.event = "old.event";
      ChainedRecord c{r.seq, r.received_ms, EncodeRecord(r), {}};
      c.chain = prev = NextChainHash(prev, c.bytes);
      auto sealed = archive.Seal(std::span<const ChainedRecord>(&c, 1));
      ASSERT_TRUE(sealed.ok()) << sealed.status().ToString();
      if (age_days == 400) old_data_key = sealed->segments.at(0).data_key;
    }
  }
  const std::string old_path = tmp.path() + "/archive/" + old_data_key;
  ASSERT_TRUE(fs.Exists(old_path));

  LogsConfig c;
  c.data_dir = tmp.path();
  c.node_id = "n1";
  c.syslog_enabled = true;
  c.syslog_port = 0;
  auto server = LogsServer::Start(c, LogsEnv{fs, clock, random});
  ASSERT_TRUE(server.ok()) << server.status().ToString();
  for (int i = 0; i < 500 && fs.Exists(old_path); ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  (*server)->Shutdown();
  EXPECT_FALSE(fs.Exists(old_path)) << "the 400-day-old segment outlived the 365-day retention";
  auto blobs = LocalBlobStore::Open(fs, tmp.path() + "/archive");
  ASSERT_TRUE(blobs.ok());
  auto data = (*blobs)->List("data/");
  ASSERT_TRUE(data.ok());
  EXPECT_EQ(data->size(), 1u);  // the 10-day-old segment stays
  auto digests = (*blobs)->List("digest/");
  ASSERT_TRUE(digests.ok());
  bool retention_digest = false;
  for (const std::string& k : *digests) retention_digest |= k.find("/ret-") != std::string::npos;
  EXPECT_TRUE(retention_digest) << "the deletion was not recorded in the digest chain";
}

TEST(LogsServerTest, RefusesToStartWithoutTheDigestKey) {
  testing::TempDir tmp;
  PosixFileSystem fs;
  SystemClock clock;
  OsRandom random;
  LogsConfig c;
  c.data_dir = tmp.path();
  c.syslog_enabled = true;
  c.syslog_port = 0;
  auto server = LogsServer::Start(c, LogsEnv{fs, clock, random});
  ASSERT_FALSE(server.ok());
  EXPECT_EQ(server.status().code(), StatusCode::kFailedPrecondition);
}

}  // namespace
}  // namespace kura::logs
