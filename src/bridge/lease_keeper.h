// LeaseKeeper: the heartbeat of one running job. While a runner runs a job
// it keeps the job's lease in the JobStore alive, so that other runners
// sharing the database know it is still working on it (bridge/job_store.h,
// "Leases"); a runner that dies stops renewing, and once the lease has
// expired another runner takes the job over.
//
// Renewals happen (a) on a background thread every lease/3 of real time,
// for jobs that cannot check in (exec jobs, a long single batch), and (b) in
// Check(), which built-in jobs reach between batches through
// JobContext::check_continue: it renews when a third of the lease has
// passed on the runner's Clock (deterministic under a FakeClock). The new
// expiry is always clock.Now() + lease.
//
// If a renewal finds that another runner has taken the job over (kAborted
// from the store), the lease is lost for good: Check() returns kAborted and
// the runner must not publish anything for the job. Other renewal errors
// (a busy database) are retried at the next beat.
//
// Thread safety: Check() and lost() may be called from any thread.
#ifndef KURA_BRIDGE_LEASE_KEEPER_H_
#define KURA_BRIDGE_LEASE_KEEPER_H_

#include <chrono>
#include <condition_variable>
#include <mutex>
#include <thread>

#include "bridge/job_store.h"
#include "core/base/clock.h"
#include "core/base/status.h"

namespace kura::bridge {

class LeaseKeeper {
 public:
  // `row` is the running row this runner owns. A zero `lease` disables the
  // keeper (no thread; Check() is always OK). References must outlive it.
  LeaseKeeper(JobStore& store, const JobRow& row, const Clock& clock,
              std::chrono::milliseconds lease);
  // Stops the heartbeat thread.
  ~LeaseKeeper();
  LeaseKeeper(const LeaseKeeper&) = delete;
  LeaseKeeper& operator=(const LeaseKeeper&) = delete;

  // OK while the lease is held (renewing it if due); kAborted once lost.
  Status Check();
  bool lost() const;

 private:
  // Renews if `force` or a third of the lease has passed since the last
  // renewal on the clock.
  Status RenewLocked(bool force);
  void Beat();

  JobStore& store_;
  const JobRow row_;
  const Clock& clock_;
  const std::chrono::milliseconds lease_;

  mutable std::mutex mu_;
  std::condition_variable cv_;
  TimePoint last_renewal_;  // guarded by mu_
  bool lost_ = false;       // guarded by mu_
  bool stopping_ = false;   // guarded by mu_
  std::thread thread_;      // last: started after everything above exists
};

}  // namespace kura::bridge

#endif  // KURA_BRIDGE_LEASE_KEEPER_H_
