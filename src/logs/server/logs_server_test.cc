#include "logs/server/logs_server.h"

#include <gtest/gtest.h>

#include <boost/asio.hpp>

#include <fstream>
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

TEST(LogsServerTest, HttpSyslogAndVaultTailLandInTheStoreAndSeal) {
  testing::TempDir tmp;
  PosixFileSystem fs;
  SystemClock clock;
  OsRandom random;
  ASSERT_TRUE(InitDigestKeys(fs, tmp.path()).ok());
  auto keys = auth::ApiKeyStore::Open(fs, tmp.path() + "/api-keys.json", clock, random);
  ASSERT_TRUE(keys.ok());
  const std::string key(keys.value()->Create("shipper", {"logs:write"})->view());
  const std::string vault_audit = tmp.path() + "/vault-audit.log";
  std::ofstream(vault_audit) << R"({"ts":"2026-01-01T00:00:00.000Z","seq":1,"service":"vault","node":"v","event":"card.reveal","outcome":"success","principal":"alice","origin":"local","resource":"tok_9"})"
                             << "\n";

  LogsConfig c;
  c.data_dir = tmp.path();
  c.node_id = "n1";
  c.http_enabled = true;
  c.http_port = 0;
  c.http_tls_cert = http::testing::GetTestPki().cert_file;
  c.http_tls_key = http::testing::GetTestPki().key_file;
  c.syslog_enabled = true;
  c.syslog_port = 0;
  c.tails.push_back(TailSource{"vault", vault_audit});
  c.tail_interval = std::chrono::milliseconds(20);
  c.audit_file = "logs-audit.log";
  auto server = LogsServer::Start(c, LogsEnv{fs, clock, random});
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

TEST(LogsServerTest, OwnAuditEventsAreStoredWhenAuditStoreIsOn) {
  testing::TempDir tmp;
  PosixFileSystem fs;
  SystemClock clock;
  OsRandom random;
  ASSERT_TRUE(InitDigestKeys(fs, tmp.path()).ok());
  LogsConfig c;
  c.data_dir = tmp.path();
  c.node_id = "n1";
  c.syslog_enabled = true;
  c.syslog_port = 0;
  c.audit_file = "logs-audit.log";
  c.audit_store = true;
  auto server = LogsServer::Start(c, LogsEnv{fs, clock, random});
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
