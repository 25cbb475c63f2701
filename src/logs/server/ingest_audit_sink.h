// IngestAuditSink: an AuditSink that also stores the logs node's own audit
// events (service "logs": start/stop, ingest refusals and rejects, seal
// failures, searches) in the node's own store, so `kura logs search
// service=logs` finds them next to everyone else's ([audit] store = true,
// the default; the [audit] file/stdout sinks keep their copy as before).
//
// Write() maps the audit line like any JSON event (RecordFromJsonEvent,
// source "self": PAN guard, UTF-8 check) and hands it to the Ingestor with
// SubmitAsync — it never waits, so it cannot deadlock, not even when the
// event is emitted on the Ingestor's own thread (logs.ingest.refuse) or
// while ingest is refusing. An event the store cannot take (ingest refusing
// or stopped, not attached yet, more than kMaxSelfAuditInFlight waiting) is
// counted in not_stored() and still reaches the other sinks of the AuditLog;
// Write returns OK for it, because refusing the audit line would make the
// caller treat its own audit trail as failed while the file copy exists.
// Write may be called concurrently (AuditLog writes its sinks outside its
// lock): events of concurrent Emit calls may reach the store in either
// order; one thread's events keep their order.
//
// Thread safety: all methods may be called from any thread. Attach/Detach
// bracket the Ingestor's lifetime: Detach() before the Ingestor is
// destroyed.
#ifndef KURA_LOGS_SERVER_INGEST_AUDIT_SINK_H_
#define KURA_LOGS_SERVER_INGEST_AUDIT_SINK_H_

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>

#include "core/audit/audit_sink.h"
#include "core/base/clock.h"
#include "logs/ingest/ingestor.h"

namespace kura::logs {

// Own audit events queued in the Ingestor but not yet durable; more are
// counted as not stored (they are rare; this bounds memory if a flood of bad
// input makes every read emit logs.ingest.reject while the disk is slow).
inline constexpr size_t kMaxSelfAuditInFlight = 1024;

class IngestAuditSink final : public AuditSink {
 public:
  // `clock` gives the received time; `node_id` the record's node.
  IngestAuditSink(const Clock& clock, std::string node_id);
  ~IngestAuditSink() override;

  void Attach(Ingestor* ingestor);
  // Stops submitting and waits until no submission is being made. Events
  // already queued in the Ingestor complete normally.
  void Detach();

  Status Write(std::string_view json_line) override;
  // Nothing to flush: durability is the Ingestor's (group commit).
  Status Flush() override { return OkStatus(); }

  // Own events made durable in the store / not stored (see above).
  uint64_t stored() const { return state_->stored.load(); }
  uint64_t not_stored() const { return state_->not_stored.load(); }

 private:
  // Shared with the completion callbacks, which run on the Ingestor's sync
  // thread.
  struct State {
    std::atomic<uint64_t> in_flight{0};
    std::atomic<uint64_t> stored{0};
    std::atomic<uint64_t> not_stored{0};
  };

  const Clock& clock_;
  const std::string node_id_;
  const std::shared_ptr<State> state_ = std::make_shared<State>();
  std::mutex mu_;
  Ingestor* ingestor_ = nullptr;  // GUARDED_BY(mu_)
};

}  // namespace kura::logs

#endif  // KURA_LOGS_SERVER_INGEST_AUDIT_SINK_H_
