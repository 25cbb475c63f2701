#include "bridge/lease_keeper.h"

namespace kura::bridge {

LeaseKeeper::LeaseKeeper(JobStore& store, const JobRow& row, const Clock& clock,
                         std::chrono::milliseconds lease)
    : store_(store), row_(row), clock_(clock), lease_(lease), last_renewal_(clock.Now()) {
  if (lease_.count() > 0) thread_ = std::thread([this] { Beat(); });
}

LeaseKeeper::~LeaseKeeper() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stopping_ = true;
  }
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
}

Status LeaseKeeper::RenewLocked(bool force) {
  if (lost_) return AbortedError("lease lost: another runner took the job over");
  const TimePoint now = clock_.Now();
  if (!force && now - last_renewal_ < lease_ / 3) return OkStatus();
  const int64_t expires =
      std::chrono::duration_cast<std::chrono::milliseconds>(now.time_since_epoch() + lease_)
          .count();
  Status s = store_.RenewLease(row_.submitter, row_.idempotency_key, row_.runner, expires);
  if (s.code() == StatusCode::kAborted) {
    lost_ = true;
    return AbortedError("lease lost: another runner took the job over");
  }
  if (s.ok()) last_renewal_ = now;
  return OkStatus();  // a busy database: try again at the next beat
}

Status LeaseKeeper::Check() {
  if (lease_.count() <= 0) return OkStatus();
  std::lock_guard<std::mutex> lock(mu_);
  return RenewLocked(/*force=*/false);
}

bool LeaseKeeper::lost() const {
  std::lock_guard<std::mutex> lock(mu_);
  return lost_;
}

void LeaseKeeper::Beat() {
  std::unique_lock<std::mutex> lock(mu_);
  for (;;) {
    if (cv_.wait_for(lock, lease_ / 3, [this] { return stopping_; })) return;
    RenewLocked(/*force=*/true).IgnoreError();  // lost_ records a lost lease
  }
}

}  // namespace kura::bridge
