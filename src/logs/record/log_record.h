// LogRecord: one event in the audit log store, and its stored bytes.
//
// Every event the store accepts (from HTTPS NDJSON, TCP syslog or an import)
// becomes a LogRecord. Its *record bytes* are one canonical JSON object on
// one line (no newline): the same bytes are hash-chained, written to the WAL,
// archived in the zstd JSON Lines segments that Athena/Trino/DuckDB read, and
// returned by search. The format is documented in docs/logs.md.
//
// Field order in the line is fixed: seq, received, node, source, ts, then the
// string fields in kStringFields order (each omitted when empty), then
// pan_redacted (omitted when 0), then "fields" (omitted when empty).
//
// Thread safety: plain data and free functions.
#ifndef KURA_LOGS_RECORD_LOG_RECORD_H_
#define KURA_LOGS_RECORD_LOG_RECORD_H_

#include <array>
#include <cstdint>
#include <string>
#include <string_view>

#include "core/base/status.h"

namespace kura::logs {

struct LogRecord {
  // Assigned by the ingest node: 1, 2, 3, ... without gaps, store-wide.
  uint64_t seq = 0;
  // When the ingest node received the event (ms since epoch, UTC). Time
  // ranges, `dt=` partitions and retention use this time: a sender's clock
  // can be wrong, the store's is the one the chain vouches for.
  int64_t received_ms = 0;
  // Ingest node id (configured).
  std::string node;
  // How it arrived: "http", "syslog", "import".
  std::string source;
  // Event time as the sender stated it; received_ms when it stated none.
  int64_t ts_ms = 0;

  // Well-known string fields (the audit-event schema of docs/audit-events.md
  // plus the syslog header fields). Empty = absent.
  std::string service;
  std::string event;
  std::string outcome;
  std::string principal;
  std::string origin;
  std::string resource;
  std::string reason;
  std::string host;
  std::string app;
  std::string severity;
  std::string message;

  // Card numbers the ingest PAN guard masked in this event (0 = none).
  uint32_t pan_redacted = 0;

  // Every other field of the event, as a compact JSON object text ("" when
  // there are none), e.g. {"details":{"grant":"g_1"},"seq":7}.
  std::string fields_json;
};

// The well-known string fields, in line order; the names are the JSON keys.
inline constexpr std::array<std::string_view, 11> kStringFields = {
    "service", "event", "outcome", "principal", "origin", "resource",
    "reason",  "host",  "app",     "severity",  "message"};

// Pointer-to-member for kStringFields[i] (same order).
std::string LogRecord::*StringFieldMember(size_t i);

// The record bytes (canonical JSON, no trailing newline). Strings are
// escaped per RFC 8259; invalid UTF-8 must have been rejected before.
std::string EncodeRecord(const LogRecord& record);
// Appends the record bytes to `out` (no allocation beyond growing `out`).
void AppendRecord(const LogRecord& record, std::string* out);

// Parses record bytes written by EncodeRecord. kDataLoss for anything that is
// not a well-formed record (the message never contains the input).
Result<LogRecord> DecodeRecord(std::string_view bytes);

// Appends `s` to `out` as a JSON string literal (quotes included).
void AppendJsonString(std::string_view s, std::string* out);

}  // namespace kura::logs

#endif  // KURA_LOGS_RECORD_LOG_RECORD_H_
