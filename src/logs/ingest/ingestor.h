// Ingestor: the single entry point for events into the store. Receivers
// (HTTPS NDJSON, TCP syslog, the file tailer) parse and validate, then hand
// batches of LogRecords here. The writer thread encodes and chains queued
// batches (Wal::Prepare) into the next group while the sync thread writes
// the previous group with one write and one fsync (Wal::Commit: group
// commit), so the fsync cost is shared by every concurrent sender and the
// encoding overlaps with the fsync. Everything queued while a group is being
// committed joins the next group. If a group fails, the group prepared on
// top of it is prepared again from the last durable record before it is
// committed.
//
// A submission completes only when its records are durable (then every
// record's seq is set, contiguous and in order — the per-record result) or
// refused (fail closed: the Wal's kResourceExhausted / kUnavailable error,
// or kUnavailable "audit store: shutting down" after Stop()). Nothing is
// ever acknowledged that is not durable, and nothing is dropped silently:
// a refused batch is the submitter's to retry or report.
//
// Memory is bounded: Submit() waits while more than max_pending_bytes of
// records are queued (backpressure reaches the sender: an HTTP request waits,
// a syslog connection stops being read). SubmitAsync() does not wait; its
// callers keep at most one submission in flight per connection, so they are
// bounded by their connection limit.
//
// Thread safety: Submit, SubmitAsync, CountRejected and stats may be called
// from any number of threads. The Wal must outlive the Ingestor and is
// written only by it. Callbacks (`done`, on_state_change) run on the sync
// thread.
#ifndef KURA_LOGS_INGEST_INGESTOR_H_
#define KURA_LOGS_INGEST_INGESTOR_H_

#include <atomic>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <span>
#include <string>
#include <thread>
#include <vector>

#include "core/base/status.h"
#include "logs/ingest/wal.h"
#include "logs/record/log_record.h"

namespace kura::logs {

inline constexpr size_t kDefaultMaxPendingBytes = 64 << 20;
inline constexpr size_t kDefaultMaxPrepareStepBytes = 1 << 20;
inline constexpr size_t kDefaultMaxGroupBytes = 2 << 20;

struct IngestorOptions {
  // Estimated record bytes queued but not yet durable before Submit waits.
  size_t max_pending_bytes = kDefaultMaxPendingBytes;
  // Estimated record bytes the writer encodes before handing the group to
  // the sync thread (it goes on adding to the group until the sync thread
  // takes it); at least one submission per step.
  size_t max_prepare_step_bytes = kDefaultMaxPrepareStepBytes;
  // Estimated record bytes above which the writer starts a new group
  // instead of adding to the one waiting for the sync thread (which it then
  // waits for); a single submission may exceed it.
  size_t max_group_bytes = kDefaultMaxGroupBytes;
  // Called on the sync thread when ingest starts refusing (refusing =
  // true, with the error) and when it accepts again (false, OK). For audit
  // events; must not call back into the Ingestor.
  std::function<void(bool refusing, const Status& status)> on_state_change;
  // Called on the writer thread after it has encoded queued batches into the
  // next group (tests use it to know a group waits behind an fsync).
  std::function<void()> on_prepared;
};

// Counters since start; a snapshot.
struct IngestStats {
  uint64_t accepted = 0;  // records durable ("received")
  uint64_t rejected = 0;  // bad messages, counted by receivers (CountRejected)
  uint64_t refused = 0;   // records not accepted because storage failed
  uint64_t commits = 0;   // groups written durably (one write + fsync each)
  uint64_t reprepared = 0;  // groups encoded again because the one before failed
  bool refusing = false;  // the last write failed
};

class Ingestor {
 public:
  using Callback = std::function<void(const Status&)>;

  // Starts the writer thread.
  explicit Ingestor(Wal& wal, IngestorOptions options = {});
  // Stop().
  ~Ingestor();
  Ingestor(const Ingestor&) = delete;
  Ingestor& operator=(const Ingestor&) = delete;

  // Blocks until `records` are durable (OK, seqs set) or refused (the
  // error). Waits for queue room first. An empty span returns OK at once.
  Status Submit(std::span<LogRecord> records);

  // Queues `records` (which must stay valid and untouched until `done`) and
  // returns at once; `done` runs on the writer thread with the outcome, so it
  // must be quick (e.g. post to an io_context). After Stop(), `done` runs
  // inline with kUnavailable.
  void SubmitAsync(std::span<LogRecord> records, Callback done);

  // Receivers count the messages they rejected (bad framing, JSON, UTF-8).
  void CountRejected(uint64_t n);

  IngestStats stats() const;

  // Refuses new submissions, writes everything already queued (so every
  // pending caller gets its real outcome), and joins the writer thread.
  // Idempotent.
  void Stop();

 private:
  struct Pending {
    std::span<LogRecord> records;
    size_t bytes = 0;
    Callback done;
  };
  // A group on its way from the writer thread to the sync thread.
  struct Group {
    std::vector<Pending> pending;
    std::vector<std::span<LogRecord>> batches;
    Wal::Prepared prepared;
    Status prepare_status;
    size_t bytes = 0;
    uint64_t records = 0;
    uint64_t epoch = 0;  // epoch_ when it was prepared
  };
  void Run();      // writer thread: queue -> prepared group
  void RunSync();  // sync thread: prepared group -> durable, callbacks
  void Finish(Group& group, const Status& s);
  static size_t EstimateBytes(std::span<const LogRecord> records);

  Wal& wal_;
  const IngestorOptions options_;

  std::mutex mu_;
  std::condition_variable work_cv_;   // writer waits for work
  std::condition_variable space_cv_;  // Submit waits for room
  std::vector<Pending> queue_;        // GUARDED_BY(mu_)
  size_t pending_bytes_ = 0;          // GUARDED_BY(mu_)
  bool stopping_ = false;             // GUARDED_BY(mu_)
  bool joined_ = false;               // GUARDED_BY(mu_)

  std::atomic<uint64_t> accepted_{0};
  std::atomic<uint64_t> rejected_{0};
  std::atomic<uint64_t> refused_{0};
  std::atomic<uint64_t> commits_{0};
  std::atomic<uint64_t> reprepared_{0};
  std::atomic<bool> refusing_{false};

  // The group being prepared: published in ready_ between the writer's
  // encoding steps; the sync thread takes it when it is free, otherwise the
  // writer checks it out again and adds the next batches to it.
  std::mutex sync_mu_;
  std::condition_variable sync_cv_;
  std::unique_ptr<Group> ready_;  // GUARDED_BY(sync_mu_)
  bool writer_done_ = false;      // GUARDED_BY(sync_mu_)
  // Where the next group continues: the end of the last prepared group.
  // epoch_ grows whenever that chain is broken (a failed commit, a group
  // prepared again); groups prepared in an older epoch are prepared again
  // from durable() by the sync thread.
  ChainPosition prepared_end_;    // GUARDED_BY(sync_mu_)
  uint64_t epoch_ = 0;            // GUARDED_BY(sync_mu_)
  std::unique_ptr<Group> spare_;  // GUARDED_BY(sync_mu_): a finished group, for reuse

  std::thread writer_;
  std::thread syncer_;
};

}  // namespace kura::logs

#endif  // KURA_LOGS_INGEST_INGESTOR_H_
