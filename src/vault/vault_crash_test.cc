// Crash test: SIGKILL the real `kura vault serve` process in the middle of a
// stream of concurrent stores, restart it, and check that every store that
// was acknowledged (HTTP 201) still reveals to the right PAN.
#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <boost/json.hpp>

#include <atomic>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <mutex>
#include <iostream>
#include <thread>

#include "core/http/https_client.h"
#include "core/pan/luhn.h"
#include "core/testing/child_process.h"
#include "vault/dev_setup.h"

namespace kura::vault {
namespace {

namespace json = boost::json;

// A running `kura vault serve` child process.
class VaultProcess {
 public:
  explicit VaultProcess(const DevSetup& d) : child_(Args(d), STDERR_FILENO) {
    EXPECT_TRUE(child_.started());
    // Wait for "listening on https://127.0.0.1:PORT".
    const std::string out = child_.ReadUntil([](const std::string& o) {
      return o.find('\n', o.find("listening on")) != std::string::npos;
    });
    const size_t at = out.find("127.0.0.1:");
    EXPECT_NE(at, std::string::npos) << "vault did not start: " << out;
    if (at != std::string::npos) port_ = static_cast<uint16_t>(std::stoi(out.substr(at + 10)));
  }
  // Sends `sig` and reaps the process; returns its wait status.
  int Kill(int sig) { return child_.Kill(sig); }
  uint16_t port() const { return port_; }

 private:
  static std::vector<std::string> Args(const DevSetup& d) {
    std::vector<std::string> args = {kura::testing::KuraBinary(), "vault", "serve", "--config",
                                     d.config_path};
    for (const std::string& c : d.component_paths) {
      args.push_back("--component");
      args.push_back(c);
    }
    return args;
  }

  kura::testing::ChildProcess child_;
  uint16_t port_ = 0;
};

// A distinct, Luhn-valid 16-digit Visa-range PAN for each n.
std::string TestPan(uint64_t n) {
  std::string body = "4" + std::to_string(100'000'000'000'000 + n).substr(1);  // 15 digits
  return body + pan::LuhnCheckDigit(body);
}

TEST(VaultCrashTest, AcknowledgedStoresSurviveSigkill) {
  char tmpl[] = "/tmp/kura-crash-test-XXXXXX";
  ASSERT_NE(mkdtemp(tmpl), nullptr);
  const std::string dir = tmpl;
  PosixFileSystem fs;
  SystemClock clock;
  OsRandom random;
  Result<DevSetup> setup = CreateDevSetup(fs, dir, DevSetupOptions{}, clock, random);
  ASSERT_TRUE(setup.ok()) << setup.status().ToString();
  const std::string auth = "Bearer " + std::string(setup->api_key.view());

  std::mutex mu;
  std::vector<std::pair<std::string, std::string>> acked;  // token, pan
  {
    VaultProcess vault(*setup);
    ASSERT_NE(vault.port(), 0);
    std::atomic<bool> stop{false};
    std::atomic<uint64_t> next{1};
    std::vector<std::thread> writers;
    for (int w = 0; w < 8; ++w) {
      writers.emplace_back([&] {
        http::HttpsClientOptions o;
        o.ca_file = setup->ca_cert_path;
        o.timeout = std::chrono::milliseconds(5000);
        auto client = http::HttpsClient::Create(o);
        if (!client.ok()) return;
        while (!stop.load()) {
          const std::string pan = TestPan(next.fetch_add(1));
          Result<http::HttpResponse> r = (*client)->Request(
              "POST", "127.0.0.1", vault.port(), "/v1/cards",
              R"({"pan":")" + pan + R"(","exp_month":12,"exp_year":2030})",
              {{"Authorization", auth}, {"Content-Type", "application/json"}});
          if (!r.ok()) return;  // the server is gone
          if (r->status != 201) continue;
          std::string token(json::parse(r->body).as_object()["token"].as_string());
          std::lock_guard<std::mutex> lock(mu);
          acked.emplace_back(std::move(token), pan);
        }
      });
    }
    // Let a few hundred stores through, then kill mid-stream.
    for (int i = 0; i < 200; ++i) {
      {
        std::lock_guard<std::mutex> lock(mu);
        if (acked.size() >= 300) break;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(25));
    }
    const int status = vault.Kill(SIGKILL);
    EXPECT_TRUE(WIFSIGNALED(status));
    stop = true;
    for (std::thread& t : writers) t.join();
  }
  ASSERT_GT(acked.size(), 20u) << "too few stores acknowledged before the kill";
  std::cout << "[ crash    ] " << acked.size() << " stores acknowledged before SIGKILL\n";

  VaultProcess restarted(*setup);
  ASSERT_NE(restarted.port(), 0);
  http::HttpsClientOptions o;
  o.ca_file = setup->ca_cert_path;
  auto client = http::HttpsClient::Create(o);
  ASSERT_TRUE(client.ok());
  size_t verified = 0;
  for (const auto& [token, pan] : acked) {
    Result<http::HttpResponse> r = (*client)->Request(
        "POST", "127.0.0.1", restarted.port(), "/v1/cards/" + token + "/reveal", "",
        {{"Authorization", auth}});
    ASSERT_TRUE(r.ok()) << r.status().ToString();
    ASSERT_EQ(r->status, 200) << "acknowledged token lost: " << token << " " << r->body;
    EXPECT_EQ(json::parse(r->body).as_object()["pan"].as_string(), pan);
    ++verified;
  }
  EXPECT_EQ(verified, acked.size());
  // A graceful stop exits 0.
  const int status = restarted.Kill(SIGTERM);
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << status;
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace kura::vault
