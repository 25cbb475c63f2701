// ParseSyslogMessage: one syslog message (already unframed, see
// syslog_framing.h) to a LogRecord.
//
// RFC 5424: "<PRI>1 TIMESTAMP HOSTNAME APP-NAME PROCID MSGID SD [MSG]".
//   PRI -> severity (emerg, alert, crit, err, warning, notice, info, debug)
//          and fields.facility (kern, user, ..., local7);
//   TIMESTAMP -> ts (NILVALUE "-": the received time);
//   HOSTNAME -> host; APP-NAME -> app; PROCID, MSGID -> fields.procid,
//   fields.msgid; STRUCTURED-DATA -> fields.sd = {"<SD-ID>":{"<name>":
//   "<value>"}} with the escapes of RFC 5424 6.3.3 (\" \\ \]) undone (a
//   repeated SD-ID or PARAM-NAME keeps every value: the later ones are added
//   as "<name>#2", "#3", ...);
//   MSG (a leading UTF-8 BOM is dropped) -> message.
// If MSG is a JSON object (e.g. a vault audit event forwarded by rsyslog) it
// is mapped with RecordFromJsonEvent and the syslog header fields fill in
// what it does not set (host, app, severity; facility, procid, msgid, sd are
// added to fields unless the event has a field of that name).
//
// RFC 3164 ("BSD", what rsyslog and loggen send by default) is accepted too:
// "<PRI>Mmm dd hh:mm:ss HOSTNAME TAG[PID]: MSG" -> severity, facility, host,
// app (TAG), procid, message; the timestamp has no year or zone, so ts is
// the received time (the original text is kept as fields.bsd_timestamp).
//
// Every string goes through the PAN guard (GuardString). Errors
// (kInvalidArgument, never quoting the message): not valid UTF-8, no or bad
// PRI, a bad RFC 5424 header or structured data, a bad TIMESTAMP.
//
// Cost: SyslogParser keeps its scratch space and writes into a caller's
// LogRecord, so a receiver that reuses both parses without allocating. The
// PAN guard scans the fields only when the message holds a run of digit
// groups (joined by single ' ' or '-') with at least pan::kMinPanDigits
// digits in total — any field with a PAN-like match is part of such a run,
// so the result is the same as scanning every field, at one cheap pass.
//
// Thread safety: ParseSyslogMessage is thread-safe; a SyslogParser is not
// (one per connection).
#ifndef KURA_LOGS_INGEST_SYSLOG_PARSER_H_
#define KURA_LOGS_INGEST_SYSLOG_PARSER_H_

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "core/base/status.h"
#include "logs/record/event_mapper.h"
#include "logs/record/log_record.h"

namespace kura::logs {

// `context.source` is normally "syslog".
Result<LogRecord> ParseSyslogMessage(std::string_view message, const EventContext& context);

class SyslogParser {
 public:
  // Like ParseSyslogMessage, into *out: every field of *out is overwritten
  // (its strings keep their capacity). On error *out is unspecified.
  Status Parse(std::string_view message, const EventContext& context, LogRecord* out);

 private:
  struct SdParam {
    std::string name;
    std::string value;
  };
  struct SdElement {
    std::string id;
    size_t first = 0;  // index into params_
    size_t count = 0;
  };
  Status ParseStructuredData(std::string_view& s, bool guard, uint32_t* redacted);
  void AppendSdJson(std::string* out) const;

  // Scratch, reused across calls: the SD of the current message.
  std::vector<SdElement> elements_;
  std::vector<SdParam> params_;
  size_t element_count_ = 0;
  size_t param_count_ = 0;
  std::string scratch_;
};

// True if `text` holds a chain of digit groups joined by single ' ' or '-'
// with at least pan::kMinPanDigits digits in total: only then can `text` or
// any part of it contain a PAN-like match (pan_scanner.h). Exposed for tests.
bool MayHoldPan(std::string_view text);

// "err" for 3, ...; "local0" for 16, ...
std::string_view SyslogSeverityName(int severity);
std::string_view SyslogFacilityName(int facility);

}  // namespace kura::logs

#endif  // KURA_LOGS_INGEST_SYSLOG_PARSER_H_
