// GET /v1/search on a running node: what was ingested over HTTPS is found
// over HTTPS, before and after sealing.
#include <gtest/gtest.h>

#include <boost/json.hpp>

#include "core/auth/api_key_store.h"
#include "core/http/http_test_util.h"
#include "core/http/https_client.h"
#include "logs/archive/digest_keys.h"
#include "logs/ingest/ingest_test_util.h"
#include "logs/server/logs_server.h"

namespace kura::logs {
namespace {

namespace json = boost::json;

TEST(LogsSearchApiTest, SearchesOverHttpsWhatWasIngestedOverHttps) {
  testing::TempDir tmp;
  PosixFileSystem fs;
  SystemClock clock;
  OsRandom random;
  ASSERT_TRUE(InitDigestKeys(fs, tmp.path()).ok());
  auto keys = auth::ApiKeyStore::Open(fs, tmp.path() + "/api-keys.json", clock, random);
  ASSERT_TRUE(keys.ok());
  const std::string writer(keys.value()->Create("shipper", {"logs:write"})->view());
  const std::string reader(keys.value()->Create("console", {"logs:read"})->view());

  LogsConfig c;
  c.audit_store = false;  // only the events this test sends are in the store
  c.data_dir = tmp.path();
  c.node_id = "n1";
  c.http_enabled = true;
  c.http_port = 0;
  c.http_tls_cert = http::testing::GetTestPki().cert_file;
  c.http_tls_key = http::testing::GetTestPki().key_file;
  c.audit_file = "logs-audit.log";
  auto server = LogsServer::Start(c, LogsEnv{fs, clock, random});
  ASSERT_TRUE(server.ok()) << server.status().ToString();
  auto client = http::HttpsClient::Create(http::testing::TestClientOptions());
  ASSERT_TRUE(client.ok());
  const uint16_t port = (*server)->http_port();
  auto get = [&](const std::string& target, const std::string& key) {
    auto r = (*client)->Request("GET", "127.0.0.1", port, target, "",
                                {{"Authorization", "Bearer " + key}});
    EXPECT_TRUE(r.ok()) << r.status().ToString();
    return r.ok() ? *r : http::HttpResponse{};
  };

  std::string body;
  for (int i = 0; i < 30; ++i) {
    body += "{\"event\":\"" + std::string(i % 3 == 0 ? "card.reveal" : "auth.login") +
            "\",\"principal\":\"" + (i % 2 == 0 ? "alice" : "bob") +
            "\",\"resource\":\"tok_" + std::to_string(i) + "\",\"message\":\"permission denied\"}\n";
  }
  auto post = (*client)->Request("POST", "127.0.0.1", port, "/v1/events", body,
                                 {{"Authorization", "Bearer " + writer}});
  ASSERT_TRUE(post.ok());
  ASSERT_EQ(post->status, 200) << post->body;

  // Acknowledged = durable = searchable at once (from the WAL).
  http::HttpResponse r = get("/v1/search?q=event%3Dcard.reveal%20principal%3Dalice", reader);
  ASSERT_EQ(r.status, 200) << r.body;
  json::object o = json::parse(r.body).as_object();
  json::array recs = o["records"].as_array();
  ASSERT_EQ(recs.size(), 5u);  // i = 0, 6, 12, 18, 24
  EXPECT_EQ(recs[0].as_object()["resource"].as_string(), "tok_24");  // newest first
  EXPECT_EQ(recs[4].as_object()["resource"].as_string(), "tok_0");

  // The same after sealing (from the archive), as counts and groups.
  ASSERT_TRUE((*server)->SealNow().ok());
  r = get("/v1/search?q=%22permission%20denied%22&group_by=event&since=1h", reader);
  ASSERT_EQ(r.status, 200) << r.body;
  o = json::parse(r.body).as_object();
  EXPECT_EQ(o["count"].as_int64(), 30);
  json::array groups = o["groups"].as_array();
  ASSERT_EQ(groups.size(), 2u);
  EXPECT_EQ(groups[0].as_object()["value"].as_string(), "auth.login");
  EXPECT_EQ(groups[0].as_object()["count"].as_int64(), 20);
  EXPECT_EQ(groups[1].as_object()["count"].as_int64(), 10);
  r = get("/v1/search?q=event%3Dcard.reveal%20principal%3Dalice", reader);
  ASSERT_EQ(r.status, 200);
  EXPECT_EQ(json::parse(r.body).as_object()["records"].as_array(), recs);

  // logs:write does not read; bad queries are 400.
  EXPECT_EQ(get("/v1/search?q=alice", writer).status, 403);
  EXPECT_EQ(get("/v1/search?q=%28alice", reader).status, 400);
  (*server)->Shutdown();

  // Searches are in the node's audit log, by the key's name.
  auto audit = fs.ReadFile(tmp.path() + "/logs-audit.log");
  ASSERT_TRUE(audit.ok());
  size_t searches = 0;
  for (size_t p = 0; (p = audit->find("\"event\":\"logs.search\"", p)) != std::string::npos; ++p) {
    ++searches;
  }
  EXPECT_EQ(searches, 4u);
  EXPECT_NE(audit->find("\"principal\":\"console\""), std::string::npos);
}

}  // namespace
}  // namespace kura::logs
