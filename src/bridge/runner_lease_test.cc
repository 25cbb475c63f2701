// Runner tests of leases (a runner that dies or stalls, another that takes
// its job over), recovery after a restart and SIGKILL of a runner mid-job.
#include "bridge/runner_test_fixture.h"

namespace kura::bridge {
namespace {

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


}  // namespace
}  // namespace kura::bridge
