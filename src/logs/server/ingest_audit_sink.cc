#include "logs/server/ingest_audit_sink.h"

#include <utility>

#include "logs/record/event_mapper.h"

namespace kura::logs {

IngestAuditSink::IngestAuditSink(const Clock& clock, std::string node_id)
    : clock_(clock), node_id_(std::move(node_id)) {}

IngestAuditSink::~IngestAuditSink() { Detach(); }

void IngestAuditSink::Attach(Ingestor* ingestor) {
  std::lock_guard<std::mutex> lock(mu_);
  ingestor_ = ingestor;
}

void IngestAuditSink::Detach() {
  std::lock_guard<std::mutex> lock(mu_);  // waits for a Write in progress
  ingestor_ = nullptr;
}

Status IngestAuditSink::Write(std::string_view json_line) {
  Result<LogRecord> r = RecordFromJsonEvent(json_line, EventContext{clock_.NowUnixMillis(), node_id_, "self"});
  std::lock_guard<std::mutex> lock(mu_);
  if (!r.ok() || ingestor_ == nullptr || state_->in_flight.load() >= kMaxSelfAuditInFlight) {
    state_->not_stored.fetch_add(1);
    return OkStatus();
  }
  state_->in_flight.fetch_add(1);
  auto record = std::make_shared<LogRecord>(std::move(r).value());
  // SubmitAsync never waits (and runs `done` inline after Stop()).
  ingestor_->SubmitAsync(std::span<LogRecord>(record.get(), 1),
                         [state = state_, record](const Status& s) {
                           (s.ok() ? state->stored : state->not_stored).fetch_add(1);
                           state->in_flight.fetch_sub(1);
                         });
  return OkStatus();
}

}  // namespace kura::logs
