#include "logs/ingest/ingestor.h"

#include <algorithm>
#include <future>
#include <utility>

namespace kura::logs {
namespace {

Status ShuttingDown() { return UnavailableError("audit store: shutting down, refusing events"); }

}  // namespace

Ingestor::Ingestor(Wal& wal, IngestorOptions options) : wal_(wal), options_(std::move(options)) {
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
  s.refusing = refusing_.load();
  return s;
}

void Ingestor::Run() {
  std::vector<Pending> group;
  std::vector<std::span<LogRecord>> batches;
  for (;;) {
    {
      std::unique_lock<std::mutex> lock(mu_);
      work_cv_.wait(lock, [&] { return stopping_ || !queue_.empty(); });
      if (queue_.empty()) return;  // stopping, and everything is written
      group.swap(queue_);
    }
    batches.clear();
    size_t bytes = 0;
    uint64_t records = 0;
    for (const Pending& p : group) {
      batches.push_back(p.records);
      bytes += p.bytes;
      records += p.records.size();
    }
    const Status s = wal_.Write(batches);
    if (s.ok()) {
      accepted_.fetch_add(records);
      commits_.fetch_add(1);
    } else {
      refused_.fetch_add(records);
    }
    const bool was_refusing = refusing_.exchange(!s.ok());
    if (was_refusing != !s.ok() && options_.on_state_change) options_.on_state_change(!s.ok(), s);
    for (Pending& p : group) p.done(s);
    group.clear();
    {
      std::lock_guard<std::mutex> lock(mu_);
      pending_bytes_ -= std::min(pending_bytes_, bytes);
    }
    space_cv_.notify_all();
  }
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
}

}  // namespace kura::logs
