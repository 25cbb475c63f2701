#include "logs/ingest/http_ingest.h"

#include <gtest/gtest.h>

#include <boost/json.hpp>

#include "core/audit/audit_sink.h"
#include "core/auth/api_key_store.h"
#include "core/fs/fault_injecting_file_system.h"
#include "core/http/http_server.h"
#include "core/http/http_test_util.h"
#include "logs/ingest/ingest_test_util.h"
#include "logs/ingest/wal_reader.h"

namespace kura::logs {
namespace {

namespace json = boost::json;
using testing::TempDir;

class HttpIngestTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto wal = Wal::Open(faulty_, tmp_.path() + "/wal", {}, {});
    ASSERT_TRUE(wal.ok());
    wal_ = std::move(wal).value();
    ingestor_ = std::make_unique<Ingestor>(*wal_);
    auto keys = auth::ApiKeyStore::Open(fs_, tmp_.path() + "/api-keys.json", clock_, random_);
    ASSERT_TRUE(keys.ok());
    keys_ = std::move(keys).value();
    writer_key_ = std::string(keys_->Create("shipper", {"logs:write"})->view());
    reader_key_ = std::string(keys_->Create("console", {"logs:read"})->view());
    auto authn = auth::Authenticator::Create(keys_.get(), {});
    ASSERT_TRUE(authn.ok());
    authenticator_ = std::move(authn).value();
    auto sink = std::make_unique<MemoryAuditSink>();
    audit_sink_ = sink.get();
    std::vector<std::unique_ptr<AuditSink>> sinks;
    sinks.push_back(std::move(sink));
    audit_ = std::make_unique<AuditLog>(clock_, "logs", "n1", std::move(sinks));
    ingest_ = std::make_unique<HttpIngest>(*ingestor_, *authenticator_, clock_, audit_.get(), "n1");
    ingest_->RegisterRoutes(router_);
    http::HttpServerOptions o = http::testing::TestServerOptions();
    o.max_body_bytes = 1 << 20;
    auto server = http::HttpServer::Create(o, router_.AsHandler());
    ASSERT_TRUE(server.ok()) << server.status().ToString();
    server_ = std::move(server).value();
    ASSERT_TRUE(server_->Start().ok());
    auto client = http::HttpsClient::Create(http::testing::TestClientOptions());
    ASSERT_TRUE(client.ok());
    client_ = std::move(client).value();
  }
  void TearDown() override {
    server_->Shutdown();
    ingestor_->Stop();
  }
  Result<http::HttpResponse> Post(const std::string& body, const std::string& key) {
    std::vector<std::pair<std::string, std::string>> headers = {
        {"Content-Type", "application/x-ndjson"}};
    if (!key.empty()) headers.emplace_back("Authorization", "Bearer " + key);
    return client_->Request("POST", "127.0.0.1", server_->port(), "/v1/events", body, headers);
  }
  std::vector<std::string> Events() {
    std::vector<std::string> out;
    auto records = ReadWalRecords(fs_, tmp_.path() + "/wal");
    EXPECT_TRUE(records.ok());
    for (const ChainedRecord& r : *records) out.push_back(DecodeRecord(r.bytes)->event);
    return out;
  }

  TempDir tmp_;
  PosixFileSystem fs_;
  FaultInjectingFileSystem faulty_{fs_};
  FakeClock clock_;
  SeededRandom random_{7};
  std::unique_ptr<Wal> wal_;
  std::unique_ptr<Ingestor> ingestor_;
  std::unique_ptr<auth::ApiKeyStore> keys_;
  std::unique_ptr<auth::Authenticator> authenticator_;
  MemoryAuditSink* audit_sink_ = nullptr;
  std::unique_ptr<AuditLog> audit_;
  std::unique_ptr<HttpIngest> ingest_;
  http::Router router_;
  std::unique_ptr<http::HttpServer> server_;
  std::unique_ptr<http::HttpsClient> client_;
  std::string writer_key_, reader_key_;
};

TEST_F(HttpIngestTest, AcceptsGoodLinesAndReportsBadOnesByLineNumber) {
  const std::string body =
      "{\"event\":\"card.reveal\",\"principal\":\"alice\"}\n"
      "{\"event\":\"broken\" secret-stuff\n"
      "\r\n"
      "[1,2,3]\n"
      "{\"event\":\"card.store\"}\r\n"
      "{\"event\":\"x\",\"ts\":\"not a time\"}\n"
      "{\"event\":\"bad utf8 \xC3\x28\"}\n"
      "{\"event\":\"card.purge\"}";
  auto r = Post(body, writer_key_);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  ASSERT_EQ(r->status, 200) << r->body;
  EXPECT_EQ(r->body.find("secret-stuff"), std::string::npos);
  json::object o = json::parse(r->body).as_object();
  EXPECT_EQ(o["accepted"].as_int64(), 3);
  EXPECT_EQ(o["first_seq"].as_int64(), 1);
  EXPECT_EQ(o["last_seq"].as_int64(), 3);
  EXPECT_EQ(o["rejected_count"].as_int64(), 4);
  json::array rej = o["rejected"].as_array();
  ASSERT_EQ(rej.size(), 4u);
  EXPECT_EQ(rej[0].as_object()["line"].as_int64(), 2);
  EXPECT_NE(std::string(rej[0].as_object()["error"].as_string()).find("invalid JSON"), std::string::npos);
  EXPECT_EQ(rej[1].as_object()["line"].as_int64(), 4);
  EXPECT_EQ(rej[2].as_object()["line"].as_int64(), 6);
  EXPECT_EQ(rej[3].as_object()["line"].as_int64(), 7);
  EXPECT_NE(std::string(rej[3].as_object()["error"].as_string()).find("UTF-8"), std::string::npos);
  EXPECT_EQ(Events(), (std::vector<std::string>{"card.reveal", "card.store", "card.purge"}));
  EXPECT_EQ(ingestor_->stats().rejected, 4u);
  auto lines = audit_sink_->lines();
  ASSERT_EQ(lines.size(), 1u);
  EXPECT_NE(lines[0].find("logs.ingest.reject"), std::string::npos);
  EXPECT_NE(lines[0].find("\"principal\":\"shipper\""), std::string::npos);
  EXPECT_EQ(lines[0].find("secret-stuff"), std::string::npos);
}

TEST_F(HttpIngestTest, RequiresTheWriteScope) {
  auto r = Post("{\"event\":\"a\"}\n", "");
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->status, 401);
  r = Post("{\"event\":\"a\"}\n", reader_key_);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->status, 403);
  EXPECT_TRUE(Events().empty());
}

TEST_F(HttpIngestTest, RefusesWith503WhileTheDiskIsFullAndResumes) {
  ASSERT_EQ(Post("{\"event\":\"before\"}\n", writer_key_)->status, 200);
  faulty_.FailWritesAfterBytes(0);
  auto r = Post("{\"event\":\"refused\"}\n", writer_key_);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->status, 503);
  json::object err = json::parse(r->body).as_object()["error"].as_object();
  EXPECT_EQ(err["code"].as_string(), "unavailable");
  EXPECT_NE(std::string(err["message"].as_string()).find("disk full"), std::string::npos);
  faulty_.ClearFaults();
  r = Post("{\"event\":\"after\"}\n", writer_key_);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->status, 200);
  EXPECT_EQ(json::parse(r->body).as_object()["first_seq"].as_int64(), 2);
  EXPECT_EQ(Events(), (std::vector<std::string>{"before", "after"}));
}

TEST_F(HttpIngestTest, OversizedBodyIsRefusedByTheServer) {
  std::string body;
  while (body.size() <= (1 << 20)) body += "{\"event\":\"filler\",\"message\":\"" + std::string(1000, 'm') + "\"}\n";
  auto r = Post(body, writer_key_);
  if (r.ok()) {
    EXPECT_EQ(r->status, 413);
  }
  EXPECT_TRUE(Events().empty());
}

}  // namespace
}  // namespace kura::logs
