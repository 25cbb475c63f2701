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
namespace {

constexpr const char* kCatalog = R"(
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
std::string BigArtifact() {
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

TEST_F(RunnerTest, RunsBuiltinAndPublishesSignedResult) {
  std::string id = Submit(NewRequest("count", {{"name", "abc"}, {"n", "3"}}));
  ASSERT_TRUE(runner_->ProcessPending().ok());
  BridgeResult r = ResultOf(id);
  EXPECT_EQ(r.status, kStatusSucceeded);
  EXPECT_EQ(r.summary, "counted");
  EXPECT_EQ(r.runner, "cde-1");
  EXPECT_EQ(runs_.load(), 1);
  EXPECT_EQ(zone_->GetRequest(id).status().code(), StatusCode::kNotFound);
  EXPECT_TRUE(AuditHas("bridge.job.finished"));
}

TEST_F(RunnerTest, ForgedSignatureIsRejectedAndNothingRuns) {
  auto forger = *crypto::Ed25519PrivateKey::Generate();
  std::string id = Submit(NewRequest("count", {{"name", "abc"}}), &forger);
  ASSERT_TRUE(runner_->ProcessPending().ok());
  BridgeResult r = ResultOf(id);
  EXPECT_EQ(r.status, kStatusRejected);
  EXPECT_EQ(r.reason, "signature does not verify");
  EXPECT_EQ(runs_.load(), 0);
  EXPECT_TRUE(AuditHas("bridge.request.rejected"));
}

TEST_F(RunnerTest, UnknownSubmitterIsRejected) {
  BridgeRequest req = NewRequest("count", {{"name", "abc"}});
  req.submitter = "mallory";
  std::string id = Submit(req);
  ASSERT_TRUE(runner_->ProcessPending().ok());
  EXPECT_EQ(ResultOf(id).reason, "unknown submitter");
  EXPECT_EQ(runs_.load(), 0);
}

TEST_F(RunnerTest, ExpiredRequestIsNotRun) {
  std::string id = Submit(NewRequest("count", {{"name", "abc"}}));
  clock_.Advance(std::chrono::minutes(2));
  ASSERT_TRUE(runner_->ProcessPending().ok());
  EXPECT_EQ(ResultOf(id).status, kStatusExpired);
  EXPECT_EQ(runs_.load(), 0);
}

TEST_F(RunnerTest, ReplayedIdempotencyKeyReturnsEarlierResultAlsoAfterRestart) {
  std::string first = Submit(NewRequest("count", {{"name", "abc"}}, "nightly-2026-01-01"));
  ASSERT_TRUE(runner_->ProcessPending().ok());
  std::string second = Submit(NewRequest("count", {{"name", "abc"}}, "nightly-2026-01-01"));
  ASSERT_TRUE(runner_->ProcessPending().ok());
  BridgeResult r2 = ResultOf(second);
  EXPECT_EQ(r2.status, kStatusSucceeded);
  EXPECT_EQ(r2.replay_of, first);
  EXPECT_EQ(r2.request_id, second);
  EXPECT_EQ(runs_.load(), 1);
  EXPECT_TRUE(AuditHas("bridge.request.replayed"));
  // A new runner process on the same database.
  runner_.reset();
  store_ = OpenStore();
  runner_ = MakeRunner(*store_);
  std::string third = Submit(NewRequest("count", {{"name", "abc"}}, "nightly-2026-01-01"));
  ASSERT_TRUE(runner_->ProcessPending().ok());
  EXPECT_EQ(ResultOf(third).replay_of, first);
  EXPECT_EQ(runs_.load(), 1);
}

TEST_F(RunnerTest, DuplicateDeliveryOfTheSameFileDoesNotRunTwice) {
  BridgeRequest req = NewRequest("count", {{"name", "abc"}});
  std::string id = Submit(req);
  ASSERT_TRUE(runner_->ProcessPending().ok());
  // The same object delivered again (late duplicate event).
  ASSERT_TRUE(zone_->PutRequest(id, *SignRequest(req, *submitter_key_)).ok());
  ASSERT_TRUE(runner_->ProcessPending().ok());
  EXPECT_EQ(runs_.load(), 1);
  EXPECT_EQ(zone_->GetRequest(id).status().code(), StatusCode::kNotFound);
}

TEST_F(RunnerTest, RequestClaimedByAnotherRunnerIsNotExpiredUnderIt) {
  BridgeRequest req = NewRequest("count", {{"name", "abc"}});
  Submit(req);
  ASSERT_TRUE(store_->Claim("airflow", req.idempotency_key, req.id, req.job, "cde-2", 1).ok());
  clock_.Advance(std::chrono::minutes(2));
  ASSERT_TRUE(runner_->ProcessPending().ok());
  EXPECT_EQ(zone_->GetResult(req.id).status().code(), StatusCode::kNotFound);
  EXPECT_TRUE(zone_->GetRequest(req.id).ok());
  EXPECT_EQ(runs_.load(), 0);
}

TEST_F(RunnerTest, NoJobStartsWithoutAnAuditTrail) {
  std::string id = Submit(NewRequest("count", {{"name", "abc"}}));
  sink_->SetFailure(InternalError("disk gone"));
  ASSERT_TRUE(runner_->ProcessPending().ok());
  EXPECT_EQ(runs_.load(), 0);
  EXPECT_EQ(zone_->GetResult(id).status().code(), StatusCode::kNotFound);
  EXPECT_TRUE(zone_->GetRequest(id).ok());
  EXPECT_EQ(runner_->ProcessRequest(id).code(), StatusCode::kUnavailable);
  sink_->SetFailure(OkStatus());
  ASSERT_TRUE(runner_->ProcessPending().ok());
  EXPECT_EQ(runs_.load(), 1);
  EXPECT_EQ(ResultOf(id).status, kStatusSucceeded);
}

TEST_F(RunnerTest, UnknownJobIsRejected) {
  std::string id = Submit(NewRequest("format-disk", {}));
  ASSERT_TRUE(runner_->ProcessPending().ok());
  BridgeResult r = ResultOf(id);
  EXPECT_EQ(r.status, kStatusRejected);
  EXPECT_EQ(r.reason, "unknown job");
}

TEST_F(RunnerTest, BadParamsAreRejectedAndNothingRuns) {
  const std::vector<std::map<std::string, std::string>> bad = {
      {{"name", "abc"}, {"n", "x"}},      // wrong type
      {{"name", "abc"}, {"extra", "1"}},  // extra param
      {{"name", "; rm -rf /"}},
      {{"name", "$(id)"}},
      {{"name", "`id`"}},
      {{"name", "../../etc/passwd"}},
      {{"name", std::string("ab\0cd", 5)}},  // NUL byte
      {{"name", std::string(1000, 'a')}},    // overlong
      {},                                    // missing
  };
  std::vector<std::string> ids;
  for (const auto& p : bad) ids.push_back(Submit(NewRequest("count", p)));
  ASSERT_TRUE(runner_->ProcessPending().ok());
  for (const std::string& id : ids) {
    BridgeResult r = ResultOf(id);
    EXPECT_EQ(r.status, kStatusRejected);
    EXPECT_EQ(r.reason.rfind("bad params: ", 0), 0u) << r.reason;
  }
  EXPECT_EQ(runs_.load(), 0);
}

TEST_F(RunnerTest, ExecJobGetsArgvFromValidatedParams) {
  std::string id = Submit(NewRequest("echo", {{"msg", "hello world"}}));
  ASSERT_TRUE(runner_->ProcessPending().ok());
  BridgeResult r = ResultOf(id);
  EXPECT_EQ(r.status, kStatusSucceeded);
  EXPECT_EQ(r.exit_code, 0);
  EXPECT_EQ(r.summary, "hello world\n");
  std::string bad = Submit(NewRequest("echo", {{"msg", "hi; id"}}));
  ASSERT_TRUE(runner_->ProcessPending().ok());
  EXPECT_EQ(ResultOf(bad).status, kStatusRejected);
}

TEST_F(RunnerTest, HangingJobHitsTheTimeLimit) {
  std::string id = Submit(NewRequest("hang", {}));
  const auto start = std::chrono::steady_clock::now();
  ASSERT_TRUE(runner_->ProcessPending().ok());
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(10));
  BridgeResult r = ResultOf(id);
  EXPECT_EQ(r.status, kStatusFailed);
  EXPECT_EQ(r.reason, "time limit exceeded");
}

TEST_F(RunnerTest, PanInResultIsBlocked) {
  std::string id = Submit(NewRequest("leak", {}));
  ASSERT_TRUE(runner_->ProcessPending().ok());
  BridgeResult r = ResultOf(id);
  EXPECT_EQ(r.status, kStatusFailed);
  EXPECT_EQ(r.reason.rfind("blocked by PAN guard", 0), 0u) << r.reason;
  EXPECT_EQ(r.summary.find("4111"), std::string::npos);
  EXPECT_EQ(zone_->GetResult(id)->find("4111"), std::string::npos);
  EXPECT_TRUE(AuditHas("bridge.pan_blocked"));
}

TEST_F(RunnerTest, PanInArtifactIsBlockedAndNotPublished) {
  std::string id = Submit(NewRequest("leak-artifact", {}));
  ASSERT_TRUE(runner_->ProcessPending().ok());
  BridgeResult r = ResultOf(id);
  EXPECT_EQ(r.status, kStatusFailed);
  EXPECT_NE(r.reason.find("artifact out.csv"), std::string::npos);
  EXPECT_TRUE(r.artifacts.empty());
  EXPECT_EQ(blob_->Get(ArtifactKey(id, "out.csv")).status().code(), StatusCode::kNotFound);
  EXPECT_TRUE(AuditHas("bridge.pan_blocked"));
}

TEST_F(RunnerTest, CleanArtifactIsPublished) {
  std::string id = Submit(NewRequest("artifact", {}));
  ASSERT_TRUE(runner_->ProcessPending().ok());
  BridgeResult r = ResultOf(id);
  ASSERT_EQ(r.status, kStatusSucceeded);
  ASSERT_EQ(r.artifacts.size(), 1u);
  EXPECT_EQ(r.artifacts[0].key, ArtifactKey(id, "out.csv"));
  EXPECT_EQ(*blob_->Get(r.artifacts[0].key), "token,last4\ntok_1,0004\n");
  EXPECT_EQ(r.artifacts[0].sha256.size(), 64u);
}

TEST_F(RunnerTest, BuiltinPastItsTimeoutStopsAndPublishesNothing) {
  std::string id = Submit(NewRequest("tick", {}));
  ASSERT_TRUE(runner_->ProcessPending().ok());
  BridgeResult r = ResultOf(id);
  EXPECT_EQ(r.status, kStatusFailed);
  EXPECT_EQ(r.reason, "timed out");
  EXPECT_TRUE(r.artifacts.empty());
  // It stopped at the first check past 10 s, not after its 100 steps.
  EXPECT_EQ(ticks_.load(), 9);
  EXPECT_EQ(blob_->Get(ArtifactKey(id, "out.csv")).status().code(), StatusCode::kNotFound);
  EXPECT_FALSE(fs_.Exists(dir_.Sub("work/" + id)));
  EXPECT_TRUE(AuditHas("timed out"));
}

TEST_F(RunnerTest, BuiltinReturningAfterItsTimeoutPublishesNothing) {
  std::string id = Submit(NewRequest("late", {}));
  ASSERT_TRUE(runner_->ProcessPending().ok());
  BridgeResult r = ResultOf(id);
  EXPECT_EQ(r.status, kStatusFailed);
  EXPECT_EQ(r.reason, "timed out");
  EXPECT_TRUE(r.artifacts.empty());
  EXPECT_EQ(blob_->List("artifacts/")->size(), 0u);
}

TEST_F(RunnerTest, LargeArtifactIsStreamedWithItsDigest) {
  std::string id = Submit(NewRequest("big-artifact", {}));
  ASSERT_TRUE(runner_->ProcessPending().ok());
  BridgeResult r = ResultOf(id);
  ASSERT_EQ(r.status, kStatusSucceeded) << r.reason;
  ASSERT_EQ(r.artifacts.size(), 1u);
  const std::string expected = BigArtifact();
  EXPECT_EQ(r.artifacts[0].bytes, static_cast<int64_t>(expected.size()));
  EXPECT_EQ(r.artifacts[0].sha256, crypto::HexEncode(crypto::Sha256(expected)));
  EXPECT_EQ(*blob_->Get(r.artifacts[0].key), expected);
}

TEST_F(RunnerTest, PanAtTheEndOfALargeArtifactBlocksAllArtifacts) {
  std::string id = Submit(NewRequest("big-leak", {}));
  ASSERT_TRUE(runner_->ProcessPending().ok());
  BridgeResult r = ResultOf(id);
  EXPECT_EQ(r.status, kStatusFailed);
  EXPECT_NE(r.reason.find("blocked by PAN guard: 1 PAN-like match(es) in artifact big.csv"),
            std::string::npos)
      << r.reason;
  EXPECT_TRUE(r.artifacts.empty());
  // Neither the clean artifact nor any temporary copy is in the drop zone.
  EXPECT_EQ(blob_->List("artifacts/")->size(), 0u);
  EXPECT_FALSE(fs_.Exists(dir_.Sub("zone/artifacts/" + id)));
}

TEST_F(RunnerTest, ExpiredLeaseOfADeadRunnerIsTakenOverAndFailed) {
  BridgeRequest a = NewRequest("count", {{"name", "abc"}});
  Submit(a);
  // Runner cde-9 claimed it with a 60 s lease and then died.
  const int64_t now = clock_.NowUnixMillis();
  ASSERT_TRUE(
      store_->Claim("airflow", a.idempotency_key, a.id, a.job, "cde-9", now, now + 60'000).ok());
  ASSERT_TRUE(runner_->ProcessPending().ok());
  EXPECT_EQ(zone_->GetResult(a.id).status().code(), StatusCode::kNotFound);  // lease still valid
  clock_.Advance(std::chrono::seconds(61));
  ASSERT_TRUE(runner_->ProcessPending().ok());
  BridgeResult r = ResultOf(a.id);
  EXPECT_EQ(r.status, kStatusFailed);
  EXPECT_NE(r.reason.find("runner cde-9 (lease expired)"), std::string::npos) << r.reason;
  EXPECT_NE(r.reason.find("not re-run"), std::string::npos);
  EXPECT_EQ(r.runner, "cde-1");
  EXPECT_EQ(runs_.load(), 0);
  // Rows without a lease (older runners) are never taken over.
  BridgeRequest b = NewRequest("count", {{"name", "abc"}});
  Submit(b);
  ASSERT_TRUE(store_->Claim("airflow", b.idempotency_key, b.id, b.job, "cde-8", now).ok());
  clock_.Advance(std::chrono::hours(24));
  ASSERT_TRUE(runner_->ProcessPending().ok());
  EXPECT_EQ(zone_->GetResult(b.id).status().code(), StatusCode::kNotFound);
}

TEST_F(RunnerTest, RunnerThatStopsHeartbeatingLosesItsJobToAnotherRunner) {
  // Two runners on one database. cde-1 starts a non-idempotent job and then
  // stalls (no heartbeat) past its lease; cde-2 takes the job over.
  std::unique_ptr<JobStore> other_store = OpenStore();
  std::unique_ptr<Runner> other = MakeRunner(*other_store, "cde-2");
  std::string id = Submit(NewRequest("hook", {}));
  Status seen_by_job;
  hook_ = [&](const JobContext& ctx) -> Status {
    clock_.Advance(kDefaultLease + std::chrono::seconds(1));
    EXPECT_TRUE(other->ProcessPending().ok());
    seen_by_job = ctx.check_continue();
    return seen_by_job;
  };
  ASSERT_TRUE(runner_->ProcessPending().ok());  // the runner's error is audited
  EXPECT_EQ(seen_by_job.code(), StatusCode::kAborted);
  EXPECT_EQ(runs_.load(), 1);
  BridgeResult r = ResultOf(id);
  EXPECT_EQ(r.runner, "cde-2");
  EXPECT_EQ(r.status, kStatusFailed);
  EXPECT_NE(r.reason.find("runner cde-1 (lease expired)"), std::string::npos) << r.reason;
  EXPECT_TRUE(AuditHas("lease lost"));
  auto row = store_->FindByRequestId(id);
  ASSERT_TRUE(row.ok() && row->has_value());
  EXPECT_EQ((*row)->state, "done");
  EXPECT_EQ((*row)->runner, "cde-2");
}

TEST_F(RunnerTest, ExecJobIsKilledWhenItsRunnerLosesTheLease) {
  // cde-1 runs a 30 s exec job with a short real-time heartbeat; meanwhile
  // cde-2 takes the row over (as after a stall). cde-1's next heartbeat
  // finds the lease lost and kills the job instead of letting it run on.
  RunnerOptions options;
  options.lease = std::chrono::milliseconds(300);
  runner_ = MakeRunner(*store_, "cde-1", options);
  std::unique_ptr<JobStore> other_store = OpenStore();
  BridgeRequest req = NewRequest("slow", {});
  Submit(req);
  Status processed;
  const auto start = std::chrono::steady_clock::now();
  std::thread run([&] { processed = runner_->ProcessRequest(req.id); });
  bool taken = false;
  for (int i = 0; i < 500 && !taken; ++i) {
    auto row = other_store->FindByRequestId(req.id);
    if (row.ok() && row->has_value() && (*row)->state == "running") {
      Result<std::optional<JobRow>> t = other_store->TakeOver(
          **row, "cde-2", (*row)->lease_expires_ms + 1, (*row)->lease_expires_ms + 600'000);
      taken = t.ok() && t->has_value();
    }
    if (!taken) ::usleep(10'000);
  }
  run.join();
  const auto elapsed = std::chrono::steady_clock::now() - start;
  ASSERT_TRUE(taken);
  EXPECT_EQ(processed.code(), StatusCode::kAborted) << processed.ToString();
  EXPECT_LT(elapsed, std::chrono::seconds(10));  // the job alone sleeps 30 s
  EXPECT_TRUE(AuditHas("lease lost"));
  EXPECT_EQ(zone_->GetResult(req.id).status().code(), StatusCode::kNotFound);
  auto row = store_->FindByRequestId(req.id);
  ASSERT_TRUE(row.ok() && row->has_value());
  EXPECT_EQ((*row)->runner, "cde-2");
}

TEST_F(RunnerTest, IdempotentJobOfAStalledRunnerRunsAgainOnTheOtherRunner) {
  std::unique_ptr<JobStore> other_store = OpenStore();
  std::unique_ptr<Runner> other = MakeRunner(*other_store, "cde-2");
  std::string id = Submit(NewRequest("hook-idem", {}));
  hook_ = [&](const JobContext& ctx) -> Status {
    if (runs_.load() > 1) return OkStatus();  // the re-run on cde-2
    clock_.Advance(kDefaultLease + std::chrono::seconds(1));
    EXPECT_TRUE(other->ProcessPending().ok());
    return ctx.check_continue();
  };
  ASSERT_TRUE(runner_->ProcessPending().ok());
  EXPECT_EQ(runs_.load(), 2);
  BridgeResult r = ResultOf(id);
  EXPECT_EQ(r.status, kStatusSucceeded);
  EXPECT_EQ(r.runner, "cde-2");
  EXPECT_TRUE(AuditHas("bridge.job.released"));
}

TEST_F(RunnerTest, HeartbeatKeepsTheLeaseOfALongJob) {
  std::unique_ptr<JobStore> other_store = OpenStore();
  std::unique_ptr<Runner> other = MakeRunner(*other_store, "cde-2");
  std::string id = Submit(NewRequest("hook", {}));
  hook_ = [&](const JobContext& ctx) -> Status {
    // Ten minutes of batches, each well inside the lease.
    for (int i = 0; i < 24; ++i) {
      clock_.Advance(std::chrono::seconds(25));
      RETURN_IF_ERROR(ctx.check_continue());
      EXPECT_TRUE(other->ProcessPending().ok());
      EXPECT_EQ(zone_->GetResult(id).status().code(), StatusCode::kNotFound) << i;
    }
    return OkStatus();
  };
  ASSERT_TRUE(runner_->ProcessPending().ok());
  BridgeResult r = ResultOf(id);
  EXPECT_EQ(r.status, kStatusSucceeded);
  EXPECT_EQ(r.runner, "cde-1");
  EXPECT_EQ(runs_.load(), 1);
}

TEST_F(RunnerTest, MalformedRequestFilesAreRejected) {
  const std::string truncated = "0123456789abcdef0123456789abcde0";
  const std::string not_json = "0123456789abcdef0123456789abcde1";
  const std::string huge = "0123456789abcdef0123456789abcde2";
  std::string good = *SignRequest(NewRequest("count", {{"name", "abc"}}), *submitter_key_);
  ASSERT_TRUE(zone_->PutRequest(truncated, good.substr(0, good.size() - 20)).ok());
  ASSERT_TRUE(zone_->PutRequest(not_json, "{ this is not json").ok());
  ASSERT_TRUE(zone_->PutRequest(huge, std::string(10 * kMaxRequestBytes, 'A')).ok());
  ASSERT_TRUE(blob_->Put("requests/evil name.jws", "x").ok());
  ASSERT_TRUE(runner_->ProcessPending().ok());
  for (const std::string& id : {truncated, not_json, huge}) {
    BridgeResult r = ResultOf(id);
    EXPECT_EQ(r.status, kStatusRejected);
    EXPECT_EQ(r.reason.rfind("malformed request", 0), 0u) << r.reason;
  }
  EXPECT_EQ(blob_->Get("requests/evil name.jws").status().code(), StatusCode::kNotFound);
  EXPECT_EQ(runs_.load(), 0);
}

TEST_F(RunnerTest, TwoRunnersRacingRunEachRequestOnce) {
  constexpr int kRequests = 20;
  std::vector<std::string> ids;
  for (int i = 0; i < kRequests; ++i) ids.push_back(Submit(NewRequest("count", {{"name", "abc"}})));
  std::unique_ptr<JobStore> other_store = OpenStore();
  std::unique_ptr<Runner> other = MakeRunner(*other_store, "cde-2");
  std::thread t1([&] { EXPECT_TRUE(runner_->ProcessPending().ok()); });
  std::thread t2([&] { EXPECT_TRUE(other->ProcessPending().ok()); });
  t1.join();
  t2.join();
  // A request skipped as "running by the other runner" is picked up later.
  ASSERT_TRUE(runner_->ProcessPending().ok());
  EXPECT_EQ(runs_.load(), kRequests);
  for (const std::string& id : ids) EXPECT_EQ(ResultOf(id).status, kStatusSucceeded);
}

TEST_F(RunnerTest, RecoverMarksNonIdempotentJobFailedAndReleasesIdempotentOne) {
  BridgeRequest a = NewRequest("count", {{"name", "abc"}});
  BridgeRequest b = NewRequest("slow-idem", {});
  Submit(a);
  Submit(b);
  // As if this runner had died while running both.
  ASSERT_TRUE(store_->Claim("airflow", a.idempotency_key, a.id, a.job, "cde-1", 1).ok());
  ASSERT_TRUE(store_->Claim("airflow", b.idempotency_key, b.id, b.job, "cde-1", 1).ok());
  ASSERT_TRUE(runner_->Recover().ok());
  BridgeResult ra = ResultOf(a.id);
  EXPECT_EQ(ra.status, kStatusFailed);
  EXPECT_NE(ra.reason.find("not re-run"), std::string::npos);
  EXPECT_EQ(zone_->GetResult(b.id).status().code(), StatusCode::kNotFound);
  auto row = store_->FindByRequestId(b.id);
  ASSERT_TRUE(row.ok());
  EXPECT_FALSE(row->has_value());  // released: will be claimed again
  EXPECT_TRUE(zone_->GetRequest(b.id).ok());
}

TEST_F(RunnerTest, SigkillOfRunnerMidJobIsRecoveredOnRestart) {
  BridgeRequest req = NewRequest("slow", {});
  Submit(req);
  pid_t child = ::fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    // The child is a separate runner process with its own connection.
    std::unique_ptr<JobStore> store = OpenStore();
    std::unique_ptr<Runner> runner = MakeRunner(*store);
    (void)runner->ProcessRequest(req.id);
    ::_exit(0);
  }
  bool running = false;
  for (int i = 0; i < 500 && !running; ++i) {
    auto row = store_->FindByRequestId(req.id);
    running = row.ok() && row->has_value() && (*row)->state == "running";
    if (!running) ::usleep(10'000);
  }
  ASSERT_TRUE(running);
  ::usleep(100'000);  // let it reach the exec
  ASSERT_EQ(::kill(child, SIGKILL), 0);
  int status = 0;
  ASSERT_EQ(::waitpid(child, &status, 0), child);
  EXPECT_TRUE(WIFSIGNALED(status));
  EXPECT_EQ(zone_->GetResult(req.id).status().code(), StatusCode::kNotFound);
  // Restart: the runner marks the job failed instead of running it again.
  runner_.reset();
  store_ = OpenStore();
  runner_ = MakeRunner(*store_);
  ASSERT_TRUE(runner_->Recover().ok());
  BridgeResult r = ResultOf(req.id);
  EXPECT_EQ(r.status, kStatusFailed);
  EXPECT_NE(r.reason.find("runner stopped"), std::string::npos);
  ASSERT_TRUE(runner_->ProcessPending().ok());
  EXPECT_EQ(ResultOf(req.id).status, kStatusFailed);
}

TEST_F(RunnerTest, RunLoopPicksUpRequestWithinOneSecond) {
  std::atomic<bool> stop{false};
  std::thread loop([&] { EXPECT_TRUE(runner_->Run(stop).ok()); });
  ::usleep(100'000);
  std::string id = Submit(NewRequest("count", {{"name", "abc"}}));
  const auto start = std::chrono::steady_clock::now();
  while (!zone_->GetResult(id).ok() &&
         std::chrono::steady_clock::now() - start < std::chrono::seconds(5)) {
    ::usleep(10'000);
  }
  const auto waited = std::chrono::steady_clock::now() - start;
  stop = true;
  loop.join();
  EXPECT_LT(waited, std::chrono::seconds(1));
  EXPECT_EQ(ResultOf(id).status, kStatusSucceeded);
}

}  // namespace
}  // namespace kura::bridge

namespace kura::bridge {
namespace {

TEST_F(RunnerTest, InotifyWakesTheLoopLongBeforeThePollInterval) {
  RunnerOptions options;
  options.poll_interval = std::chrono::seconds(20);
  options.watch_dir = dir_.Sub("zone");
  runner_ = MakeRunner(*store_, "cde-1", options);
  std::atomic<bool> stop{false};
  std::thread loop([&] { EXPECT_TRUE(runner_->Run(stop).ok()); });
  for (int i = 0; i < 3; ++i) {
    ::usleep(100'000);
    std::string id = Submit(NewRequest("count", {{"name", "abc"}}));
    const auto start = std::chrono::steady_clock::now();
    while (!zone_->GetResult(id).ok() &&
           std::chrono::steady_clock::now() - start < std::chrono::seconds(5)) {
      ::usleep(10'000);
    }
    EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(1)) << i;
  }
  // Stopping waits for the poll timeout unless something wakes the loop.
  stop = true;
  Submit(NewRequest("count", {{"name", "abc"}}));
  loop.join();
  EXPECT_GE(runs_.load(), 3);
}

}  // namespace
}  // namespace kura::bridge

namespace kura::bridge {
namespace {

TEST_F(RunnerTest, ConcurrencyLimitBoundsJobsInFlight) {
  RunnerOptions options;
  options.max_concurrent_jobs = 2;
  std::atomic<int> in_flight{0};
  std::atomic<int> peak{0};
  std::map<std::string, BuiltinJob> builtins;
  builtins["counter"] = [&](const JobContext&) -> Result<JobOutput> {
    const int now = ++in_flight;
    int seen = peak.load();
    while (now > seen && !peak.compare_exchange_weak(seen, now)) {
    }
    ::usleep(100'000);
    --in_flight;
    ++runs_;
    return JobOutput{true, "", -1, "counted", {}};
  };
  std::map<std::string, crypto::Ed25519PublicKey> keys;
  keys.emplace("airflow", submitter_key_->PublicKey());
  options.runner_id = "cde-1";
  options.work_root = dir_.Sub("work");
  Runner runner(fs_, *zone_, *store_, catalog_, keys, *runner_key_, builtins, *audit_, clock_,
                options);
  std::vector<std::string> ids;
  for (int i = 0; i < 6; ++i) ids.push_back(Submit(NewRequest("count", {{"name", "abc"}})));
  const auto start = std::chrono::steady_clock::now();
  Result<int> n = runner.ProcessPending();
  ASSERT_TRUE(n.ok());
  EXPECT_EQ(*n, 6);
  EXPECT_EQ(runs_.load(), 6);
  EXPECT_EQ(peak.load(), 2);
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::milliseconds(550));
  for (const std::string& id : ids) EXPECT_EQ(ResultOf(id).status, kStatusSucceeded);
}

}  // namespace
}  // namespace kura::bridge
