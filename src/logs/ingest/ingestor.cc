#include "logs/ingest/ingestor.h"

#include <algorithm>
#include <future>
#include <utility>

namespace kura::logs {
namespace {

Status ShuttingDown() { return UnavailableError("audit store: shutting down, refusing events"); }

}  // namespace

Ingestor::Ingestor(Wal& wal, IngestorOptions options) : wal_(wal), options_(std::move(options)) {
  prepared_end_ = wal_.durable();
  syncer_ = std::thread([this] { RunSync(); });
  writer_ = std::thread([this] { Run(); });
}

Ingestor::~Ingestor() { Stop(); }

size_t Ingestor::EstimateBytes(std::span<const LogRecord> records) {
  size_t n = 0;
  for (const LogRecord& r : records) {
    n += 160 + r.message.size() + r.fields_json.size() + r.event.size() + r.principal.size() +
         r.resource.size();
  }
  return n;
}

Status Ingestor::Submit(std::span<LogRecord> records) {
  if (records.empty()) return OkStatus();
  std::promise<Status> promise;
  std::future<Status> outcome = promise.get_future();
  const size_t bytes = EstimateBytes(records);
  {
    std::unique_lock<std::mutex> lock(mu_);
    space_cv_.wait(lock, [&] {
      return stopping_ || pending_bytes_ == 0 || pending_bytes_ + bytes <= options_.max_pending_bytes;
    });
    if (stopping_) return ShuttingDown();
    pending_bytes_ += bytes;
    queue_.push_back(Pending{records, bytes, [&promise](const Status& s) { promise.set_value(s); }});
  }
  work_cv_.notify_one();
  return outcome.get();
}

void Ingestor::SubmitAsync(std::span<LogRecord> records, Callback done) {
  if (records.empty()) {
    done(OkStatus());
    return;
  }
  const size_t bytes = EstimateBytes(records);
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (!stopping_) {
      pending_bytes_ += bytes;
      queue_.push_back(Pending{records, bytes, std::move(done)});
      done = nullptr;
    }
  }
  if (done) {
    done(ShuttingDown());
    return;
  }
  work_cv_.notify_one();
}

void Ingestor::CountRejected(uint64_t n) { rejected_.fetch_add(n); }

IngestStats Ingestor::stats() const {
  IngestStats s;
  s.accepted = accepted_.load();
  s.rejected = rejected_.load();
  s.refused = refused_.load();
  s.commits = commits_.load();
  s.reprepared = reprepared_.load();
  s.refusing = refusing_.load();
  return s;
}

void Ingestor::Run() {
  std::vector<Pending> taken;
  std::vector<std::span<LogRecord>> batches;
  for (;;) {
    {
      std::unique_lock<std::mutex> lock(mu_);
      work_cv_.wait(lock, [&] { return stopping_ || !queue_.empty(); });
      if (queue_.empty()) break;  // stopping, and everything is handed over
      // At most about max_prepare_step_bytes per step (at least one
      // submission): the sync thread gets the group as soon as that much is
      // encoded instead of waiting for everything queued — with many
      // senders acknowledged at once, encoding all of it before the next
      // commit made the two threads take turns instead of overlapping.
      size_t n = 0;
      for (size_t step = 0; n < queue_.size(); ++n) {
        if (n > 0 && step + queue_[n].bytes > options_.max_prepare_step_bytes) break;
        step += queue_[n].bytes;
      }
      taken.assign(std::make_move_iterator(queue_.begin()),
                   std::make_move_iterator(queue_.begin() + static_cast<std::ptrdiff_t>(n)));
      queue_.erase(queue_.begin(), queue_.begin() + static_cast<std::ptrdiff_t>(n));
    }
    batches.clear();
    size_t bytes = 0;
    uint64_t records = 0;
    for (const Pending& p : taken) {
      batches.push_back(p.records);
      bytes += p.bytes;
      records += p.records.size();
    }
    // Check out the group the sync thread has not taken yet, or start one.
    std::unique_ptr<Group> g;
    ChainPosition base;
    {
      std::lock_guard<std::mutex> lock(sync_mu_);
      g = std::move(ready_);
      if (!g || !g->prepare_status.ok() || g->bytes + bytes > options_.max_group_bytes) {
        // A failed group goes as it is; so does a full one (a group without
        // bound made the writer and the sync thread take turns with many
        // senders: each commit held everything they had sent).
        if (g) ready_ = std::move(g);
        g = std::move(spare_);
        if (!g) g = std::make_unique<Group>();
        g->pending.clear();
        g->batches.clear();
        g->bytes = 0;
        g->records = 0;
        g->prepared.count = 0;
        g->epoch = epoch_;
        base = prepared_end_;
      }
    }
    // Encode and chain (no lock held) while the sync thread fsyncs.
    const bool fresh = g->prepared.count == 0 && g->pending.empty();
    const Status s = fresh ? wal_.Prepare(batches, base, &g->prepared)
                           : wal_.PrepareMore(batches, &g->prepared);
    if (!s.ok() && !fresh) {
      // Keep the good group; these batches fail on their own.
      auto alone = std::make_unique<Group>();
      alone->prepare_status = s;
      alone->epoch = g->epoch;
      std::unique_lock<std::mutex> lock(sync_mu_);
      sync_cv_.wait(lock, [&] { return ready_ == nullptr; });
      ready_ = std::move(g);
      // The sync thread takes ready_ first; this one follows right after.
      alone->pending = std::move(taken);
      alone->batches = batches;
      alone->bytes = bytes;
      alone->records = records;
      taken = {};
      sync_cv_.notify_all();
      sync_cv_.wait(lock, [&] { return ready_ == nullptr; });
      ready_ = std::move(alone);
      sync_cv_.notify_all();
      continue;
    }
    g->prepare_status = s;
    for (Pending& p : taken) g->pending.push_back(std::move(p));
    taken.clear();
    g->batches.insert(g->batches.end(), batches.begin(), batches.end());
    g->bytes += bytes;
    g->records += records;
    std::unique_lock<std::mutex> lock(sync_mu_);
    if (s.ok() && g->epoch == epoch_) prepared_end_ = g->prepared.end;
    sync_cv_.wait(lock, [&] { return ready_ == nullptr; });  // after a failed or full group
    ready_ = std::move(g);
    sync_cv_.notify_all();
    lock.unlock();
    if (options_.on_prepared) options_.on_prepared();
  }
  std::lock_guard<std::mutex> lock(sync_mu_);
  writer_done_ = true;
  sync_cv_.notify_all();
}

void Ingestor::RunSync() {
  for (;;) {
    std::unique_ptr<Group> g;
    {
      std::unique_lock<std::mutex> lock(sync_mu_);
      sync_cv_.wait(lock, [&] { return ready_ != nullptr || writer_done_; });
      if (ready_ == nullptr) return;  // the writer is done and everything is written
      g = std::move(ready_);
      sync_cv_.notify_all();  // a writer waiting for the slot may go on
    }
    Status s = g->prepare_status;
    if (s.ok()) {
      bool stale;
      {
        std::lock_guard<std::mutex> lock(sync_mu_);
        stale = g->epoch != epoch_;
      }
      if (!stale) s = wal_.Commit(&g->prepared);
      const bool again = stale || s.code() == StatusCode::kAborted;
      if (again) {
        // Prepared on top of a group that failed: continue from durable().
        reprepared_.fetch_add(1);
        s = wal_.Prepare(g->batches, wal_.durable(), &g->prepared);
        if (s.ok()) s = wal_.Commit(&g->prepared);
      }
      if (again || !s.ok()) {
        std::lock_guard<std::mutex> lock(sync_mu_);
        ++epoch_;
        prepared_end_ = s.ok() ? g->prepared.end : wal_.durable();
      }
    }
    Finish(*g, s);
    std::lock_guard<std::mutex> lock(sync_mu_);
    spare_ = std::move(g);
  }
}

void Ingestor::Finish(Group& g, const Status& s) {
  if (s.ok()) {
    accepted_.fetch_add(g.records);
    commits_.fetch_add(1);
  } else {
    refused_.fetch_add(g.records);
  }
  const bool was_refusing = refusing_.exchange(!s.ok());
  if (was_refusing != !s.ok() && options_.on_state_change) options_.on_state_change(!s.ok(), s);
  for (Pending& p : g.pending) p.done(s);
  g.pending.clear();
  {
    std::lock_guard<std::mutex> lock(mu_);
    pending_bytes_ -= std::min(pending_bytes_, g.bytes);
  }
  space_cv_.notify_all();
}

void Ingestor::Stop() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stopping_ = true;
    if (joined_) return;
    joined_ = true;
  }
  work_cv_.notify_all();
  space_cv_.notify_all();
  if (writer_.joinable()) writer_.join();
  if (syncer_.joinable()) syncer_.join();
}

}  // namespace kura::logs
