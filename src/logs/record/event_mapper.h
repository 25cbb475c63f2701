// Maps one incoming JSON event (a line of an NDJSON batch, the JSON body of a
// syslog message, a line of an import file) to a LogRecord.
//
// Mapping: the keys of kStringFields become those fields; "event" may also be
// given as "type"; "ts" (or "time", "timestamp") is the event time in RFC 3339
// (received time when absent); every other key goes, unchanged, into
// `fields_json`. A well-known key whose value is not a string is kept in
// `fields_json` too, so nothing sent is lost.
//
// The PAN guard runs on everything: every string (keys and values, nested
// ones included) is passed through pan::MaskPans, and integers whose digits
// look like a PAN become masked strings; `pan_redacted` counts the masks.
// Card numbers never reach the WAL or the archive.
//
// Thread safety: free functions, thread-safe.
#ifndef KURA_LOGS_RECORD_EVENT_MAPPER_H_
#define KURA_LOGS_RECORD_EVENT_MAPPER_H_

#include <cstddef>
#include <string>
#include <string_view>

#include "core/base/status.h"
#include "logs/record/log_record.h"

namespace kura::logs {

// Largest single event accepted (bytes of its JSON text); larger ones are
// refused with kInvalidArgument, the rest of their batch is still accepted.
inline constexpr size_t kMaxEventBytes = 1 << 20;  // 1 MiB

struct EventContext {
  int64_t received_ms = 0;
  std::string_view node;
  std::string_view source;  // "http", "syslog", "import"
};

// Errors (kInvalidArgument, message never quotes the input): empty line,
// over kMaxEventBytes, invalid JSON or invalid UTF-8, not an object, a bad
// "ts". The returned record has seq 0: the ingestor assigns it.
Result<LogRecord> RecordFromJsonEvent(std::string_view json, const EventContext& context);

// Masks PANs in `text` (see pan::MaskPans) and adds the count to *redacted.
std::string GuardString(std::string_view text, uint32_t* redacted);

// True if `text` is well-formed UTF-8 (no overlongs, surrogates or code
// points above U+10FFFF).
bool IsValidUtf8(std::string_view text);

}  // namespace kura::logs

#endif  // KURA_LOGS_RECORD_EVENT_MAPPER_H_
