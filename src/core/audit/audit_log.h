// AuditLog: serialises AuditEvents to JSON lines and writes them to sinks.
//
// One line per event, fields in this order (docs/audit-events.md):
//   {"ts":"2026-01-01T00:00:00.000Z","seq":1,"service":"vault","node":"n1",
//    "event":"card.reveal","outcome":"success","principal":"alice",
//    "origin":"10.0.0.5:51234","resource":"tok_abc","reason":"...",
//    "details":{"k":"v"},"pan_redacted":1}
// "reason" and "details" are omitted when empty; "pan_redacted" appears only
// when the PAN guard masked something.
//
// PAN guard: every string (all fields, detail keys and values, service and
// node) goes through pan::MaskPans before serialisation. A card number that
// reaches the audit log by mistake is written masked ("411111******1111"),
// the event gets "pan_redacted": <number of PANs masked>, and
// pan_incidents() grows by one per such event, so operators can alert on it.
// Invalid UTF-8 is replaced by U+FFFD so every line is valid JSON.
//
// "seq" starts at 1 and grows by one per Emit call of this AuditLog (also
// for events whose sink write failed, so a gap shows a lost line). "ts" is
// taken from the injected Clock together with "seq", so ts never decreases
// as seq grows. A line is in every sink when Emit returns OK. Events of one
// thread reach the sinks in seq order; events emitted concurrently by
// several threads may reach them in another order (each line whole), since
// the sinks are written outside the lock that hands out seq: readers that
// need emission order sort by seq.
//
// Thread safety: Emit, Flush and pan_incidents may be called concurrently;
// sinks must be safe for concurrent use (every sink here is). Flush covers
// the lines of every Emit that returned before it started. The Clock must
// outlive the AuditLog; the sinks are owned.
#ifndef KURA_CORE_AUDIT_AUDIT_LOG_H_
#define KURA_CORE_AUDIT_AUDIT_LOG_H_

#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "core/audit/audit_event.h"
#include "core/audit/audit_sink.h"
#include "core/base/clock.h"
#include "core/base/status.h"

namespace kura {

class AuditLog {
 public:
  // `service` names the part ("vault"), `node` the instance (host name or
  // configured node id). `sinks` may be empty (events are then only
  // validated and counted).
  AuditLog(const Clock& clock, std::string service, std::string node,
           std::vector<std::unique_ptr<AuditSink>> sinks);
  AuditLog(const AuditLog&) = delete;
  AuditLog& operator=(const AuditLog&) = delete;

  // Writes `event` to every sink. kInvalidArgument (nothing written, no seq
  // used) if `type` is empty or `outcome` is not "success"/"failure".
  // Otherwise the first sink error, after trying every sink; callers that
  // must not act without an audit trail treat any error as fatal for the
  // request (fail closed).
  Status Emit(const AuditEvent& event);

  // Flushes every sink; the first error after trying all.
  Status Flush();

  // Number of events in which the PAN guard masked something.
  uint64_t pan_incidents() const { return pan_incidents_.load(); }

 private:
  const Clock& clock_;
  const std::string service_;
  const std::string node_;
  const std::vector<std::unique_ptr<AuditSink>> sinks_;

  std::mutex mu_;
  uint64_t next_seq_ = 1;  // GUARDED_BY(mu_)
  std::atomic<uint64_t> pan_incidents_{0};
};

// `s` with every invalid UTF-8 sequence replaced by U+FFFD. Exposed for
// tests and for other JSON writers.
std::string SanitizeUtf8(std::string_view s);

}  // namespace kura

#endif  // KURA_CORE_AUDIT_AUDIT_LOG_H_
