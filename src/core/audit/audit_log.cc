#include "core/audit/audit_log.h"

#include <algorithm>
#include <exception>
#include <utility>

#include "core/pan/pan_scanner.h"

namespace kura {
namespace {

// Length of the valid UTF-8 sequence at s[i], or 0 if invalid (overlong
// forms, surrogates and code points above U+10FFFF are invalid).
size_t Utf8SequenceLength(std::string_view s, size_t i) {
  const auto b = [&s](size_t k) { return static_cast<unsigned char>(s[k]); };
  const unsigned char c = b(i);
  if (c < 0x80) return 1;
  size_t len = 0;
  unsigned char lo = 0x80;
  unsigned char hi = 0xBF;
  if (c >= 0xC2 && c <= 0xDF) {
    len = 2;
  } else if (c >= 0xE0 && c <= 0xEF) {
    len = 3;
    if (c == 0xE0) lo = 0xA0;  // overlong
    if (c == 0xED) hi = 0x9F;  // surrogates
  } else if (c >= 0xF0 && c <= 0xF4) {
    len = 4;
    if (c == 0xF0) lo = 0x90;  // overlong
    if (c == 0xF4) hi = 0x8F;  // > U+10FFFF
  } else {
    return 0;
  }
  if (i + len > s.size()) return 0;
  if (b(i + 1) < lo || b(i + 1) > hi) return 0;
  for (size_t k = 2; k < len; ++k) {
    if (b(i + k) < 0x80 || b(i + k) > 0xBF) return 0;
  }
  return len;
}

bool IsValidUtf8(std::string_view s) {
  size_t i = 0;
  while (i < s.size()) {
    const size_t len = Utf8SequenceLength(s, i);
    if (len == 0) return false;
    i += len;
  }
  return true;
}

// Applies the PAN guard and UTF-8 repair to every string of one event.
class Guard {
 public:
  std::string operator()(std::string_view in) {
    size_t n = 0;
    std::string out = pan::MaskPans(in, &n);
    masked_ += n;
    if (!IsValidUtf8(out)) out = SanitizeUtf8(out);
    return out;
  }
  size_t masked() const { return masked_; }

 private:
  size_t masked_ = 0;
};

// Appends `s` (valid UTF-8) as a JSON string, escaped exactly as
// boost::json::serialize does: \" \\ \b \t \n \f \r, other control
// characters as \u00xx (lower-case hex), everything else (also '/', DEL and
// non-ASCII) as is.
void AppendJsonString(std::string& out, std::string_view s) {
  static constexpr char kHex[] = "0123456789abcdef";
  out += '"';
  size_t run = 0;  // start of the pending run of unescaped bytes
  for (size_t i = 0; i < s.size(); ++i) {
    const auto c = static_cast<unsigned char>(s[i]);
    if (c >= 0x20 && c != '"' && c != '\\') continue;
    out.append(s.data() + run, i - run);
    run = i + 1;
    out += '\\';
    switch (c) {
      case '"': out += '"'; break;
      case '\\': out += '\\'; break;
      case '\b': out += 'b'; break;
      case '\t': out += 't'; break;
      case '\n': out += 'n'; break;
      case '\f': out += 'f'; break;
      case '\r': out += 'r'; break;
      default:
        out += "u00";
        out += kHex[c >> 4];
        out += kHex[c & 0xf];
    }
  }
  out.append(s.data() + run, s.size() - run);
  out += '"';
}

// Appends ,"name":"value" (every field it writes follows "seq", hence the
// leading comma).
void AppendField(std::string& out, std::string_view name, std::string_view value) {
  out += ',';
  AppendJsonString(out, name);
  out += ':';
  AppendJsonString(out, value);
}

// Appends `value` through the guard as a JSON string. The common case, a
// value the guard would leave unchanged (no PAN, valid UTF-8), is appended
// as is, without the guard's copy.
void AppendGuardedJsonString(std::string& out, std::string_view value, Guard& guard) {
  if (IsValidUtf8(value) && !pan::ContainsPan(value)) return AppendJsonString(out, value);
  AppendJsonString(out, guard(value));
}

// AppendField with `value` through the guard.
void AppendGuardedField(std::string& out, std::string_view name, std::string_view value,
                        Guard& guard) {
  out += ',';
  AppendJsonString(out, name);
  out += ':';
  AppendGuardedJsonString(out, value, guard);
}

}  // namespace

std::string SanitizeUtf8(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  size_t i = 0;
  while (i < s.size()) {
    const size_t len = Utf8SequenceLength(s, i);
    if (len == 0) {
      out += "\xEF\xBF\xBD";
      ++i;
    } else {
      out.append(s.substr(i, len));
      i += len;
    }
  }
  return out;
}

AuditLog::AuditLog(const Clock& clock, std::string service, std::string node,
                   std::vector<std::unique_ptr<AuditSink>> sinks)
    : clock_(clock),
      service_(std::move(service)),
      node_(std::move(node)),
      sinks_(std::move(sinks)) {}

Status AuditLog::Emit(const AuditEvent& event) {
  if (event.type.empty()) return InvalidArgumentError("audit event without a type");
  if (event.outcome != kAuditSuccess && event.outcome != kAuditFailure) {
    return InvalidArgumentError("audit event '" + pan::MaskPans(event.type) +
                                "': outcome must be \"success\" or \"failure\"");
  }
  try {
    // Everything after "seq" is built before taking the lock; only ts and
    // seq are added under it. The line is written directly (not through a
    // JSON DOM): one allocation instead of dozens per event, with the same
    // bytes boost::json::serialize produces (see AppendJsonString).
    Guard guard;
    std::string tail;
    tail.reserve(256);
    AppendGuardedField(tail, "service", service_, guard);
    AppendGuardedField(tail, "node", node_, guard);
    AppendGuardedField(tail, "event", event.type, guard);
    AppendField(tail, "outcome", event.outcome);
    AppendGuardedField(tail, "principal", event.principal, guard);
    AppendGuardedField(tail, "origin", event.origin, guard);
    AppendGuardedField(tail, "resource", event.resource, guard);
    // (Masking never empties a string, so "" is the only reason omitted.)
    if (!event.reason.empty()) AppendGuardedField(tail, "reason", event.reason, guard);
    if (!event.details.empty()) {
      // Keep every detail even if two keys coincide (or collide after
      // masking): an audit trail must not silently lose data.
      std::vector<std::string> keys;
      keys.reserve(event.details.size());
      tail += ",\"details\":{";
      for (const auto& [k, v] : event.details) {
        const std::string base = guard(k);
        std::string key = base;
        for (int n = 2; std::find(keys.begin(), keys.end(), key) != keys.end(); ++n) {
          key = base + "#" + std::to_string(n);
        }
        if (!keys.empty()) tail += ',';
        AppendJsonString(tail, key);
        tail += ':';
        AppendGuardedJsonString(tail, v, guard);
        keys.push_back(std::move(key));
      }
      tail += '}';
    }
    const size_t masked = guard.masked();
    if (masked > 0) {
      pan_incidents_.fetch_add(1);
      tail += ",\"pan_redacted\":";
      tail += std::to_string(masked);
    }
    tail += '}';

    std::string line;
    line.reserve(tail.size() + 64);
    {
      // Only the clock and the counter under the lock: a thread preempted
      // inside a sink's write(2) must not stall every other request.
      std::lock_guard<std::mutex> lock(mu_);
      line += "{\"ts\":";
      AppendJsonString(line, FormatRfc3339Millis(clock_.Now()));
      line += ",\"seq\":";
      line += std::to_string(next_seq_++);
    }
    line += tail;

    Status first;
    for (const auto& sink : sinks_) {
      Status st = sink->Write(line);
      if (!st.ok() && first.ok()) first = st.WithContext("audit sink write");
    }
    return first;
  } catch (const std::exception&) {
    // Only allocation failures can get here; never let them cross the API.
    return InternalError("audit event serialisation failed");
  }
}

Status AuditLog::Flush() {
  Status first;
  for (const auto& sink : sinks_) {
    Status st = sink->Flush();
    if (!st.ok() && first.ok()) first = st.WithContext("audit sink flush");
  }
  return first;
}

}  // namespace kura
