// JobStore: the runner's job state in the CDE's own database (SQLite; the
// drop zone never holds state the runner trusts).
//
// One row per (submitter, idempotency key), created by Claim() inside a
// BEGIN IMMEDIATE transaction with a PRIMARY KEY on that pair, so of any
// number of runners (threads or processes) sharing the database exactly one
// claims a request; the others see kRunning or kDone. A row is "running"
// until Finish() stores the result payload and marks it "done". After a
// crash, RunningFor(runner) lists the rows a dead runner left behind.
//
// Leases: a claim may carry a lease expiry (lease_expires_ms, 0 = none) that
// the running runner keeps pushing forward (RenewLease, its heartbeat). A
// running row whose lease has expired belongs to a runner that died (or
// stalled); another runner may TakeOver() the row — one conditional UPDATE,
// a compare-and-set on (runner, lease), so of several runners exactly one
// wins — and then fails or releases it like a restart would. The old owner's
// later RenewLease / Finish fail with kAborted ("lease lost"), so it can
// never overwrite the new owner's outcome.
//
// Errors: kUnavailable when the database stays locked past the busy
// timeout, kDataLoss if the file is not a database, kInternal otherwise.
// Messages never contain values.
//
// Thread safety: one connection guarded by a mutex; safe for concurrent use.
// Several JobStores (in one or many processes) may share a file.
#ifndef KURA_BRIDGE_JOB_STORE_H_
#define KURA_BRIDGE_JOB_STORE_H_

#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "core/base/status.h"

struct sqlite3;

namespace kura::bridge {

inline constexpr int kJobStoreBusyTimeoutMs = 5000;

struct JobRow {
  std::string submitter;
  std::string idempotency_key;
  std::string request_id;
  std::string job;
  std::string state;  // "running" | "done"
  std::string runner;
  int64_t claimed_ms = 0;
  std::string result_payload;    // result JSON payload once done
  int64_t lease_expires_ms = 0;  // 0 = no lease (only a restart recovers the row)
};

enum class ClaimOutcome {
  kClaimed,  // this caller owns the request and must run it
  kRunning,  // another claim is in progress (row has the owner)
  kDone,     // already finished: row.result_payload is the earlier result
};

struct ClaimResult {
  ClaimOutcome outcome = ClaimOutcome::kClaimed;
  JobRow row;  // the existing row for kRunning/kDone, the new one for kClaimed
};

class JobStore {
 public:
  // Opens or creates (0600) the database and its schema.
  static Result<std::unique_ptr<JobStore>> Open(const std::string& path,
                                                int busy_timeout_ms = kJobStoreBusyTimeoutMs);
  ~JobStore();
  JobStore(const JobStore&) = delete;
  JobStore& operator=(const JobStore&) = delete;

  // Claims (submitter, idempotency_key) for `request_id`; see ClaimOutcome.
  // A new row's lease expires at `lease_expires_ms` (0 = no lease).
  Result<ClaimResult> Claim(const std::string& submitter, const std::string& idempotency_key,
                            const std::string& request_id, const std::string& job,
                            const std::string& runner, int64_t now_ms,
                            int64_t lease_expires_ms = 0);
  // Marks the row done with its result. kNotFound if there is no such row.
  Status Finish(const std::string& submitter, const std::string& idempotency_key,
                const std::string& result_payload);
  // Finish, only while `runner` still owns the running row: kAborted
  // ("lease lost") if another runner took it over or it is done already.
  Status FinishOwned(const std::string& submitter, const std::string& idempotency_key,
                     const std::string& runner, const std::string& result_payload);
  // Moves the lease of a running row `runner` owns to `lease_expires_ms`.
  // kAborted ("lease lost") if the row is not running under `runner` any
  // more (taken over, or done).
  Status RenewLease(const std::string& submitter, const std::string& idempotency_key,
                    const std::string& runner, int64_t lease_expires_ms);
  // Takes over `row` (as read before) for `new_runner` with a new lease,
  // if it is still running under the same runner and lease and that lease
  // has expired by `now_ms`. Returns the updated row, or std::nullopt if
  // the row changed meanwhile or its lease has not expired (someone else
  // took it, it finished, or its owner renewed).
  Result<std::optional<JobRow>> TakeOver(const JobRow& row, const std::string& new_runner,
                                         int64_t now_ms, int64_t lease_expires_ms);
  // Deletes a running row so the request may be claimed again (recovery of
  // an idempotent job). kNotFound if absent.
  Status Release(const std::string& submitter, const std::string& idempotency_key);
  // Rows still "running" that `runner` claimed.
  Result<std::vector<JobRow>> RunningFor(const std::string& runner);
  // The row for a request id; std::nullopt if none.
  Result<std::optional<JobRow>> FindByRequestId(const std::string& request_id);

 private:
  explicit JobStore(sqlite3* db) : db_(db) {}
  Result<std::optional<JobRow>> SelectLocked(const char* where, const std::string& a,
                                             const std::string& b);
  Status ExecLocked(const char* sql);
  // Adds columns of newer versions to an existing table.
  Status MigrateLocked();

  std::mutex mu_;
  sqlite3* db_;  // GUARDED_BY(mu_)
};

}  // namespace kura::bridge

#endif  // KURA_BRIDGE_JOB_STORE_H_
