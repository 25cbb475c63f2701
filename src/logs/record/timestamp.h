// Timestamps of the audit log store: milliseconds since the Unix epoch (UTC),
// written as RFC 3339 with milliseconds ("2026-01-01T00:00:00.000Z").
//
// Thread safety: free functions, thread-safe.
#ifndef KURA_LOGS_RECORD_TIMESTAMP_H_
#define KURA_LOGS_RECORD_TIMESTAMP_H_

#include <cstdint>
#include <string>
#include <string_view>

#include "core/base/status.h"

namespace kura::logs {

inline constexpr int64_t kMillisPerDay = 86'400'000;

// "2026-01-01T00:00:00.000Z" (always UTC, always 3 fraction digits).
std::string FormatTimestamp(int64_t unix_millis);
// Appends FormatTimestamp(unix_millis) to `out` (no temporary string; the
// record encoder's hot path).
void AppendTimestamp(int64_t unix_millis, std::string* out);

// Parses RFC 3339 / the RFC 5424 TIMESTAMP profile: "YYYY-MM-DDTHH:MM:SS"
// with an optional fraction of 1-9 digits (truncated to milliseconds) and a
// zone "Z", "z" or "+HH:MM"/"-HH:MM". Years 1970-9999 only. Anything else is
// kInvalidArgument naming what is wrong (never echoing more than the value).
Result<int64_t> ParseTimestamp(std::string_view text);

// "2026-01-01": the UTC date of a timestamp, as used in `dt=` partitions.
std::string FormatDate(int64_t unix_millis);

// Parses "YYYY-MM-DD" to the millisecond of that day's UTC midnight.
Result<int64_t> ParseDate(std::string_view text);

}  // namespace kura::logs

#endif  // KURA_LOGS_RECORD_TIMESTAMP_H_
