#include <unistd.h>

#include "bridge/runner_test_fixture.h"

namespace kura::bridge {
namespace {

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
  EXPECT_EQ(ResultOf(huge).reason, "malformed request: request: larger than the limit");
  EXPECT_EQ(blob_->Get("requests/evil name.jws").status().code(), StatusCode::kNotFound);
  EXPECT_EQ(runs_.load(), 0);
}

TEST_F(RunnerTest, HugeRequestFileIsRejectedUnread) {
  // 64 GiB (sparse): more than this machine's memory, were it read whole.
  const std::string id = "0123456789abcdef0123456789abcde3";
  ASSERT_TRUE(zone_->PutRequest(id, "x").ok());
  ASSERT_EQ(::truncate(dir_.Sub("zone/requests/" + id + ".jws").c_str(), off_t{64} << 30), 0);
  ASSERT_TRUE(runner_->ProcessPending().ok());
  BridgeResult r = ResultOf(id);
  EXPECT_EQ(r.status, kStatusRejected);
  EXPECT_EQ(r.reason, "malformed request: request: larger than the limit");
  EXPECT_EQ(zone_->GetRequest(id).status().code(), StatusCode::kNotFound);  // removed
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
