// Crash test: SIGKILL the real `kura logs serve` process while a concurrent
// sender keeps posting acknowledged batches over HTTPS; restart it; every
// acknowledged event must be in the store (WAL or archive) with a valid
// chain, and a graceful stop must exit 0.
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>


#include <gtest/gtest.h>

#include <boost/json.hpp>

#include <atomic>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <map>
#include <mutex>
#include <set>
#include <thread>

#include "core/auth/api_key_store.h"
#include "core/blob/local_blob_store.h"
#include "core/testing/child_process.h"
#include "core/http/http_test_util.h"
#include "core/http/https_client.h"
#include "logs/archive/digest_keys.h"
#include "logs/ingest/ingest_test_util.h"
#include "logs/ingest/wal_reader.h"
#include "logs/segment/segment_reader.h"

namespace kura::logs {
namespace {

namespace json = boost::json;

// A running `kura logs serve` child process.
class LogsProcess {
 public:
  explicit LogsProcess(const std::string& config)
      : child_({kura::testing::KuraBinary(), "logs", "serve", "--config", config}, STDOUT_FILENO) {
    EXPECT_TRUE(child_.started());
    const std::string out = child_.ReadUntil(
        [](const std::string& o) { return o.find("ready") != std::string::npos; });
    const size_t at = out.find("https listening on 127.0.0.1:");
    EXPECT_NE(at, std::string::npos) << "logs did not start: " << out;
    if (at != std::string::npos) port_ = static_cast<uint16_t>(std::stoi(out.substr(at + 29)));
  }
  int Kill(int sig) { return child_.Kill(sig); }
  uint16_t port() const { return port_; }

 private:
  kura::testing::ChildProcess child_;
  uint16_t port_ = 0;
};

TEST(LogsCrashTest, AcknowledgedEventsSurviveSigkill) {
  testing::TempDir tmp;
  PosixFileSystem fs;
  SystemClock clock;
  OsRandom random;
  ASSERT_TRUE(InitDigestKeys(fs, tmp.path()).ok());
  auto keys = auth::ApiKeyStore::Open(fs, tmp.path() + "/api-keys.json", clock, random);
  ASSERT_TRUE(keys.ok());
  const std::string auth = "Bearer " + std::string(keys.value()->Create("shipper", {"logs:write"})->view());
  const auto& pki = http::testing::GetTestPki();
  const std::string config = tmp.path() + "/logs.toml";
  std::ofstream(config) << "[logs]\nnode_id = \"crash\"\ndata_dir = \"" << tmp.path() << "\"\n"
                        << "[http]\nport = 0\ntls_cert = \"" << pki.cert_file << "\"\ntls_key = \""
                        << pki.key_file << "\"\n"
                        << "[wal]\nmax_file_bytes = 65536\n"
                        << "[seal]\nmax_bytes = 200000\nmax_age = \"1s\"\n";

  std::mutex mu;
  std::set<std::string> acked;  // resource ids of acknowledged events
  {
    LogsProcess logs(config);
    ASSERT_NE(logs.port(), 0);
    std::atomic<bool> stop{false};
    std::atomic<uint64_t> next{1};
    std::vector<std::thread> senders;
    for (int w = 0; w < 4; ++w) {
      senders.emplace_back([&] {
        auto client = http::HttpsClient::Create(http::testing::TestClientOptions());
        if (!client.ok()) return;
        while (!stop.load()) {
          std::vector<std::string> ids;
          std::string body;
          for (int i = 0; i < 20; ++i) {
            ids.push_back("ev_" + std::to_string(next.fetch_add(1)));
            body += "{\"event\":\"crash.test\",\"resource\":\"" + ids.back() + "\"}\n";
          }
          auto r = (*client)->Request("POST", "127.0.0.1", logs.port(), "/v1/events", body,
                                      {{"Authorization", auth}});
          if (!r.ok()) return;  // the server is gone
          if (r->status != 200) continue;
          std::lock_guard<std::mutex> lock(mu);
          acked.insert(ids.begin(), ids.end());
        }
      });
    }
    // Run long enough for the sealing loop (checks every second) to seal
    // and drop WAL files, so the kill can hit any stage.
    const auto start = std::chrono::steady_clock::now();
    for (int i = 0; i < 1000; ++i) {
      {
        std::lock_guard<std::mutex> lock(mu);
        if (acked.size() >= 6000 && std::chrono::steady_clock::now() - start > std::chrono::milliseconds(2500)) break;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    const int status = logs.Kill(SIGKILL);
    EXPECT_TRUE(WIFSIGNALED(status));
    stop = true;
    for (auto& t : senders) t.join();
  }
  ASSERT_GT(acked.size(), 100u);
  std::cout << "[ crash    ] " << acked.size() << " events acknowledged before SIGKILL\n";

  // Restart (recovery joins WAL and archive), then stop gracefully.
  {
    LogsProcess restarted(config);
    ASSERT_NE(restarted.port(), 0);
    const int status = restarted.Kill(SIGTERM);
    EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << status;
  }

  // Every acknowledged event is in the archive or the WAL, the chain unbroken.
  auto blobs = LocalBlobStore::Open(fs, tmp.path() + "/archive");
  ASSERT_TRUE(blobs.ok());
  std::map<uint64_t, std::string> by_seq;  // record bytes
  auto data_keys = (*blobs)->List("data/");
  ASSERT_TRUE(data_keys.ok());
  for (const std::string& key : *data_keys) {
    auto blob = (*blobs)->Get(key);
    ASSERT_TRUE(blob.ok()) << key;
    auto records = ReadAllRecords(*blob);
    ASSERT_TRUE(records.ok()) << key << ": " << records.status().ToString();
    for (std::string& bytes : *records) {
      auto d = DecodeRecord(bytes);
      ASSERT_TRUE(d.ok());
      EXPECT_TRUE(by_seq.emplace(d->seq, std::move(bytes)).second) << "seq twice: " << d->seq;
    }
  }
  const size_t sealed = by_seq.size();
  auto wal = ReadWalRecords(fs, tmp.path() + "/wal");
  ASSERT_TRUE(wal.ok()) << wal.status().ToString();
  std::map<uint64_t, ChainHash> wal_links;
  for (const ChainedRecord& r : *wal) {
    wal_links[r.seq] = r.chain;
    auto [it, inserted] = by_seq.emplace(r.seq, r.bytes);
    if (!inserted) {
      EXPECT_EQ(it->second, r.bytes) << "sealed record differs from WAL, seq " << r.seq;
    }
  }
  std::cout << "[ crash    ] " << sealed << " records sealed, " << wal->size() << " in the WAL\n";
  ChainHash h = kGenesisChainHash;
  uint64_t expect = 1;
  std::set<std::string> found;
  for (const auto& [seq, bytes] : by_seq) {
    ASSERT_EQ(seq, expect) << "gap in the store";
    ++expect;
    h = NextChainHash(h, bytes);
    if (auto it = wal_links.find(seq); it != wal_links.end()) {
      ASSERT_EQ(it->second, h) << seq;
    }
    found.insert(DecodeRecord(bytes)->resource);
  }
  size_t missing = 0;
  for (const std::string& id : acked) missing += found.count(id) ? 0 : 1;
  EXPECT_EQ(missing, 0u) << "acknowledged events lost";
}

}  // namespace
}  // namespace kura::logs
