// Crash test: SIGKILL the real `kura vault serve` process in the middle of a
// stream of concurrent stores, restart it, and check that every store that
// was acknowledged (HTTP 201) still reveals to the right PAN.
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
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
#include "vault/dev_setup.h"

extern char** environ;

namespace kura::vault {
namespace {

namespace json = boost::json;

std::string KuraBinary() {
  const char* dir = std::getenv("KURA_BINARY_DIR");
  return std::string(dir ? dir : ".") + "/src/cli/kura";
}

// A running `kura vault serve` child process.
class VaultProcess {
 public:
  VaultProcess(const DevSetup& d) {
    int pipefd[2];
    EXPECT_EQ(pipe(pipefd), 0);
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_adddup2(&fa, pipefd[1], STDERR_FILENO);
    posix_spawn_file_actions_addclose(&fa, pipefd[0]);
    std::vector<std::string> args = {KuraBinary(), "vault", "serve", "--config", d.config_path};
    for (const std::string& c : d.component_paths) {
      args.push_back("--component");
      args.push_back(c);
    }
    std::vector<char*> argv;
    for (std::string& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);
    EXPECT_EQ(posix_spawn(&pid_, argv[0], &fa, nullptr, argv.data(), environ), 0);
    posix_spawn_file_actions_destroy(&fa);
    close(pipefd[1]);
    stderr_fd_ = pipefd[0];
    // Wait for "listening on https://127.0.0.1:PORT".
    std::string out;
    char buf[256];
    while (out.find('\n', out.find("listening on")) == std::string::npos) {
      ssize_t n = read(stderr_fd_, buf, sizeof buf);
      if (n <= 0) break;
      out.append(buf, static_cast<size_t>(n));
    }
    const size_t at = out.find("127.0.0.1:");
    EXPECT_NE(at, std::string::npos) << "vault did not start: " << out;
    if (at != std::string::npos) port_ = static_cast<uint16_t>(std::stoi(out.substr(at + 10)));
  }
  ~VaultProcess() {
    if (pid_ > 0) Kill(SIGKILL);
    if (stderr_fd_ >= 0) close(stderr_fd_);
  }
  // Sends `sig` and reaps the process; returns its wait status.
  int Kill(int sig) {
    kill(pid_, sig);
    int status = 0;
    waitpid(pid_, &status, 0);
    pid_ = -1;
    return status;
  }
  uint16_t port() const { return port_; }

 private:
  pid_t pid_ = -1;
  int stderr_fd_ = -1;
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
