// Runner: the CDE side of the bridge (`kura bridge run`). It watches the
// drop zone, verifies each request and runs catalogued jobs, publishing a
// signed result for every request it sees (docs/bridge.md).
//
// Verification order (the first failure decides; each failure publishes a
// signed "rejected"/"expired" result and emits an audit event; nothing runs):
//   1. the file parses (size limit, JWS, JSON, field limits)
//   2. signature against the configured public key of the named submitter
//      (unknown submitter and bad signature are both rejections)
//   3. not expired (clock >= expires_ms -> "expired"), unless some runner
//      has already claimed this request id (it is running or done)
//   4. idempotency key not seen before for that submitter: a repeat gets
//      the earlier result (re-signed for the new request id, replay_of set)
//      and the job never runs twice; while the first is still running the
//      repeat waits in the drop zone
//   5. the job exists in the catalog
//   6. params match the catalog exactly (bridge/job_catalog.h)
// Steps 4-6 happen after the request is claimed in the JobStore, so a
// rejection for an unknown job or bad params is itself remembered.
//
// Before publication the result text and every artifact pass the PAN guard
// (bridge/pan_guard.h); a hit turns the result into "failed" with reason
// "blocked by PAN guard", publishes no artifact and raises an audit event.
//
// Crash safety: the DB row is finished before the result is published and
// the request file is deleted last, so a runner killed at any point either
// re-publishes the stored result or finds its "running" row on restart
// (Recover): the job is then marked failed, or released to run again if the
// catalog declares it idempotent. Claims carry a lease that a running job's
// LeaseKeeper renews; when it has expired (the runner died and never came
// back), another runner that sees the request takes the row over and
// applies the same rule. A runner that lost its lease publishes nothing.
//
// Time limits: exec jobs are killed at the catalog timeout; built-in jobs
// see it through JobContext::check_continue, and a built-in that stops for
// it — or returns after it — is reported "failed", reason "timed out", with
// nothing published.
//
// At most RunnerOptions::max_concurrent_jobs requests are processed at once
// (ProcessPending hands a pass's requests to that many worker threads and
// waits for them), each job in its own working directory below
// RunnerOptions::work_root. Runners sharing a database add up.
//
// Thread safety: one thread drives a Runner (it starts its own workers). Several Runners (threads
// or processes) may share a drop zone and a JobStore database.
#ifndef KURA_BRIDGE_RUNNER_H_
#define KURA_BRIDGE_RUNNER_H_

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <vector>

#include "bridge/drop_zone.h"
#include "bridge/job_catalog.h"
#include "bridge/job_store.h"
#include "bridge/lease_keeper.h"
#include "bridge/request.h"
#include "bridge/result.h"
#include "core/audit/audit_log.h"
#include "core/base/clock.h"
#include "core/base/status.h"
#include "core/crypto/ed25519.h"
#include "core/fs/file_system.h"

namespace kura::bridge {

inline constexpr std::chrono::milliseconds kDefaultPollInterval{250};
// Artifacts are streamed to the drop zone (BlobStore::PutStream), so their
// size is not limited by memory; by default there is no limit at all.
inline constexpr uint64_t kDefaultMaxArtifactBytes = UINT64_MAX;
// How long a claim stays valid without a heartbeat (bridge/lease_keeper.h).
inline constexpr std::chrono::milliseconds kDefaultLease{60'000};

// What a job sees.
struct JobContext {
  const BridgeRequest& request;
  const JobSpec& spec;
  std::string workdir;  // exists and is empty; removed after the job
  // Built-in jobs call this between batches (it is cheap) and, if it is not
  // OK, stop and return that status: kDeadlineExceeded once the catalog
  // timeout has passed, kAborted if another runner took the job over. It
  // also renews the job's lease. Empty in contexts without a runner.
  std::function<Status()> check_continue = {};
};

// What a job reports. Artifacts are file names inside the workdir.
struct JobOutput {
  bool ok = false;
  std::string reason;  // why it failed (no PAN, no secret)
  int64_t exit_code = -1;
  std::string summary;
  std::vector<std::string> artifacts;
};

// A built-in job. An error Status is reported as a failed job whose reason
// is the status message.
using BuiltinJob = std::function<Result<JobOutput>(const JobContext&)>;

struct RunnerOptions {
  std::string runner_id = "runner";  // JWS kid of results, owner in the JobStore
  std::string work_root;             // per-request working directories
  std::chrono::milliseconds poll_interval = kDefaultPollInterval;
  uint64_t max_artifact_bytes = kDefaultMaxArtifactBytes;
  // Lease of a claim; renewed every lease/3 while the job runs. Zero: no
  // leases (rows of a dead runner wait for its restart).
  std::chrono::milliseconds lease = kDefaultLease;
  // Most requests processed (jobs run) at once by this runner; >= 1.
  size_t max_concurrent_jobs = 1;
  // Local directory of the drop zone, for inotify wake-ups ("" = poll only).
  std::string watch_dir;
};

class Runner {
 public:
  // All references must outlive the Runner.
  Runner(FileSystem& fs, DropZone& zone, JobStore& store, const JobCatalog& catalog,
         std::map<std::string, crypto::Ed25519PublicKey> submitter_keys,
         const crypto::Ed25519PrivateKey& signing_key, std::map<std::string, BuiltinJob> builtins,
         AuditLog& audit, const Clock& clock, RunnerOptions options);
  Runner(const Runner&) = delete;
  Runner& operator=(const Runner&) = delete;

  // Finishes what a previous run of this runner id left "running" (see the
  // class comment). Errors: JobStore / drop zone errors.
  Status Recover();
  // One pass over requests/: processes each pending request. Returns how
  // many were handled (published or replayed); errors of List.
  Result<int> ProcessPending();
  // Handles one request id. OK also when the request was rejected (a
  // rejection is a normal outcome); errors mean "try again later".
  Status ProcessRequest(const std::string& id);
  // Recover, then ProcessPending until `stop` becomes true, waking up on
  // inotify events (if watch_dir is set) or every poll_interval.
  Status Run(const std::atomic<bool>& stop);

 private:
  Status Reject(const std::string& id, const std::string& job, std::string_view status,
                const std::string& reason, int64_t received_ms);
  Status Publish(const std::string& id, BridgeResult result);
  Status Finish(const JobRow& row, BridgeResult result);
  // Fails a running row left by a dead runner, or releases it when the job
  // is idempotent (restart recovery and lease takeover). `who` says whose
  // row it was, for the reason and the audit event.
  Status RecoverRow(const JobRow& row, const std::string& who);
  BridgeResult Execute(const BridgeRequest& request, const JobSpec& spec, int64_t received_ms,
                       LeaseKeeper& lease);
  int64_t LeaseExpiry() const;
  // Emits one event. Outcomes already decided (rejections, results) ignore
  // a failure, since the result must still reach the submitter; starting a
  // job requires success (fail closed).
  Status Audit(std::string type, bool success, const std::string& principal,
               const std::string& resource, std::string reason);

  FileSystem& fs_;
  DropZone& zone_;
  JobStore& store_;
  const JobCatalog& catalog_;
  const std::map<std::string, crypto::Ed25519PublicKey> submitter_keys_;
  const crypto::Ed25519PrivateKey& signing_key_;
  const std::map<std::string, BuiltinJob> builtins_;
  AuditLog& audit_;
  const Clock& clock_;
  const RunnerOptions options_;
};

}  // namespace kura::bridge

#endif  // KURA_BRIDGE_RUNNER_H_
