// RunnerTest: the fixture shared by the Runner tests (runner_test.cc,
// runner_lease_test.cc): a drop zone in a temporary directory, a job store,
// a catalog with exec and built-in jobs, keys, an in-memory audit sink and
// a FakeClock.
#ifndef KURA_BRIDGE_RUNNER_TEST_FIXTURE_H_
#define KURA_BRIDGE_RUNNER_TEST_FIXTURE_H_

#include "bridge/runner.h"

#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <fstream>
#include <functional>
#include <thread>

#include "bridge/test_util.h"
#include "core/blob/local_blob_store.h"
#include "core/crypto/encoding.h"
#include "core/crypto/hash.h"
#include "core/crypto/jws.h"

namespace kura::bridge {

inline constexpr const char* kCatalog = R"(
[[jobs]]
name = "count"
kind = "builtin"
builtin = "counter"
[[jobs.params]]
name = "name"
pattern = "[a-z]{1,8}"
max_length = 8
[[jobs.params]]
name = "n"
type = "int"
min = 0
max = 9
required = false

[[jobs]]
name = "echo"
kind = "exec"
executable = "/bin/echo"
args = ["{msg}"]
[[jobs.params]]
name = "msg"
pattern = "[a-z ]+"

[[jobs]]
name = "hang"
kind = "exec"
executable = "/bin/sleep"
args = ["30"]
timeout = "1s"

[[jobs]]
name = "slow"
kind = "exec"
executable = "/bin/sleep"
args = ["30"]
timeout = "1m"

[[jobs]]
name = "slow-idem"
kind = "exec"
executable = "/bin/sleep"
args = ["30"]
timeout = "1m"
idempotent = true

[[jobs]]
name = "leak"
kind = "builtin"
builtin = "leak"

[[jobs]]
name = "leak-artifact"
kind = "builtin"
builtin = "leak-artifact"

[[jobs]]
name = "artifact"
kind = "builtin"
builtin = "artifact"

[[jobs]]
name = "tick"
kind = "builtin"
builtin = "tick"
timeout = "10s"

[[jobs]]
name = "late"
kind = "builtin"
builtin = "late"
timeout = "10s"

[[jobs]]
name = "big-artifact"
kind = "builtin"
builtin = "big-artifact"

[[jobs]]
name = "big-leak"
kind = "builtin"
builtin = "big-leak"

[[jobs]]
name = "hook"
kind = "builtin"
builtin = "hook"

[[jobs]]
name = "hook-idem"
kind = "builtin"
builtin = "hook"
idempotent = true
)";

// 3 MiB + a bit: several blob-copy chunks and PAN-guard pieces.
inline std::string BigArtifact() {
  std::string data;
  for (int i = 0; data.size() < (3u << 20) + 123; ++i) {
    data += "tok_" + std::to_string(i) + ",411111******1111,4000 1234 5678 9010\n";
  }
  return data;
}

class RunnerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto blob = LocalBlobStore::Open(fs_, dir_.Sub("zone"));
    ASSERT_TRUE(blob.ok());
    blob_ = std::move(*blob);
    zone_ = std::make_unique<DropZone>(*blob_);
    auto doc = ConfigDocument::Parse(kCatalog, "bridge.toml");
    ASSERT_TRUE(doc.ok());
    auto catalog = JobCatalog::Load(doc->Root());
    ASSERT_TRUE(catalog.ok()) << catalog.status().ToString();
    catalog_ = *catalog;
    submitter_key_ = *crypto::Ed25519PrivateKey::Generate();
    runner_key_ = *crypto::Ed25519PrivateKey::Generate();
    auto sink = std::make_unique<MemoryAuditSink>();
    sink_ = sink.get();
    std::vector<std::unique_ptr<AuditSink>> sinks;
    sinks.push_back(std::move(sink));
    audit_ = std::make_unique<AuditLog>(clock_, "bridge", "test", std::move(sinks));
    ASSERT_TRUE(fs_.CreateDirs(dir_.Sub("work")).ok());
    store_ = OpenStore();
    runner_ = MakeRunner(*store_);
  }

  std::unique_ptr<JobStore> OpenStore() {
    auto s = JobStore::Open(dir_.Sub("bridge.db"));
    EXPECT_TRUE(s.ok()) << s.status().ToString();
    return std::move(*s);
  }

  std::unique_ptr<Runner> MakeRunner(JobStore& store, const std::string& id = "cde-1",
                                     RunnerOptions options = {}) {
    std::map<std::string, BuiltinJob> builtins;
    builtins["counter"] = [this](const JobContext&) -> Result<JobOutput> {
      ++runs_;
      return JobOutput{true, "", -1, "counted", {}};
    };
    builtins["leak"] = [](const JobContext&) -> Result<JobOutput> {
      return JobOutput{true, "", -1, "first row: 4111 1111 1111 1111", {}};
    };
    builtins["leak-artifact"] = [](const JobContext& ctx) -> Result<JobOutput> {
      std::ofstream(ctx.workdir + "/out.csv") << "token,pan\ntok_1,5500000000000004\n";
      return JobOutput{true, "", -1, "1 row", {"out.csv"}};
    };
    builtins["artifact"] = [](const JobContext& ctx) -> Result<JobOutput> {
      std::ofstream(ctx.workdir + "/out.csv") << "token,last4\ntok_1,0004\n";
      return JobOutput{true, "", -1, "1 row", {"out.csv"}};
    };
    builtins["tick"] = [this](const JobContext& ctx) -> Result<JobOutput> {
      std::ofstream(ctx.workdir + "/out.csv") << "partial\n";
      for (int i = 0; i < 100; ++i) {
        clock_.Advance(std::chrono::seconds(1));
        RETURN_IF_ERROR(ctx.check_continue());
        ++ticks_;
      }
      return JobOutput{true, "", -1, "done", {"out.csv"}};
    };
    builtins["late"] = [this](const JobContext& ctx) -> Result<JobOutput> {
      std::ofstream(ctx.workdir + "/out.csv") << "complete\n";
      clock_.Advance(std::chrono::seconds(11));  // one batch that overran
      return JobOutput{true, "", -1, "done", {"out.csv"}};
    };
    builtins["big-artifact"] = [](const JobContext& ctx) -> Result<JobOutput> {
      std::ofstream(ctx.workdir + "/big.csv") << BigArtifact();
      return JobOutput{true, "", -1, "big", {"big.csv"}};
    };
    builtins["big-leak"] = [](const JobContext& ctx) -> Result<JobOutput> {
      std::ofstream(ctx.workdir + "/a.csv") << "clean\n";
      std::ofstream(ctx.workdir + "/big.csv") << BigArtifact() << "last,5500-0000-0000-0004\n";
      return JobOutput{true, "", -1, "big", {"a.csv", "big.csv"}};
    };
    builtins["hook"] = [this](const JobContext& ctx) -> Result<JobOutput> {
      ++runs_;
      if (hook_) RETURN_IF_ERROR(hook_(ctx));
      return JobOutput{true, "", -1, "hooked", {}};
    };
    std::map<std::string, crypto::Ed25519PublicKey> keys;
    keys.emplace("airflow", submitter_key_->PublicKey());
    options.runner_id = id;
    options.work_root = dir_.Sub("work");
    return std::make_unique<Runner>(fs_, *zone_, store, catalog_, std::move(keys), *runner_key_,
                                    std::move(builtins), *audit_, clock_, options);
  }

  BridgeRequest NewRequest(const std::string& job, std::map<std::string, std::string> params,
                           const std::string& idem = "") {
    BridgeRequest r;
    r.id = *NewRequestId(random_);
    r.job = job;
    r.params = std::move(params);
    r.submitter = "airflow";
    r.created_ms = clock_.NowUnixMillis();
    r.expires_ms = r.created_ms + 60'000;
    r.idempotency_key = idem.empty() ? r.id : idem;
    return r;
  }

  std::string Submit(const BridgeRequest& r, const crypto::Ed25519PrivateKey* key = nullptr) {
    Result<std::string> jws = SignRequest(r, key != nullptr ? *key : *submitter_key_);
    EXPECT_TRUE(jws.ok()) << jws.status().ToString();
    EXPECT_TRUE(zone_->PutRequest(r.id, *jws).ok());
    return r.id;
  }

  BridgeResult ResultOf(const std::string& id) {
    Result<std::string> bytes = zone_->GetResult(id);
    EXPECT_TRUE(bytes.ok()) << "no result for " << id;
    if (!bytes.ok()) return {};
    Result<BridgeResult> r = VerifyResult(*bytes, runner_key_->PublicKey());
    EXPECT_TRUE(r.ok()) << r.status().ToString();
    return r.ok() ? *r : BridgeResult{};
  }

  bool AuditHas(const std::string& needle) {
    for (const std::string& line : sink_->lines()) {
      if (line.find(needle) != std::string::npos) return true;
    }
    return false;
  }

  testing::TempDir dir_;
  PosixFileSystem fs_;
  FakeClock clock_;
  OsRandom random_;
  std::unique_ptr<LocalBlobStore> blob_;
  std::unique_ptr<DropZone> zone_;
  JobCatalog catalog_;
  std::optional<crypto::Ed25519PrivateKey> submitter_key_;
  std::optional<crypto::Ed25519PrivateKey> runner_key_;
  MemoryAuditSink* sink_ = nullptr;
  std::unique_ptr<AuditLog> audit_;
  std::unique_ptr<JobStore> store_;
  std::unique_ptr<Runner> runner_;
  std::atomic<int> runs_{0};
  std::atomic<int> ticks_{0};
  std::function<Status(const JobContext&)> hook_;
};

}  // namespace kura::bridge

#endif  // KURA_BRIDGE_RUNNER_TEST_FIXTURE_H_
