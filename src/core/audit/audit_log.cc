#include "core/audit/audit_log.h"

#include <boost/json.hpp>
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

// Applies the PAN guard and UTF-8 repair to every string of one event.
class Guard {
 public:
  std::string operator()(std::string_view in) {
    size_t n = 0;
    std::string out = SanitizeUtf8(pan::MaskPans(in, &n));
    masked_ += n;
    return out;
  }
  size_t masked() const { return masked_; }

 private:
  size_t masked_ = 0;
};

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
  std::string line;
  try {
    Guard guard;
    // Built before taking the lock; only ts and seq are added under it.
    std::string service = guard(service_);
    std::string node = guard(node_);
    std::string type = guard(event.type);
    std::string principal = guard(event.principal);
    std::string origin = guard(event.origin);
    std::string resource = guard(event.resource);
    std::string reason = guard(event.reason);
    boost::json::object details;
    for (const auto& [k, v] : event.details) {
      const std::string base = guard(k);
      std::string key = base;
      // Keep every detail even if two keys coincide (or collide after
      // masking): an audit trail must not silently lose data.
      for (int n = 2; details.contains(key); ++n) key = base + "#" + std::to_string(n);
      details[key] = guard(v);
    }
    const size_t masked = guard.masked();
    if (masked > 0) pan_incidents_.fetch_add(1);

    std::lock_guard<std::mutex> lock(mu_);
    boost::json::object obj;
    obj["ts"] = FormatRfc3339Millis(clock_.Now());
    obj["seq"] = next_seq_++;
    obj["service"] = std::move(service);
    obj["node"] = std::move(node);
    obj["event"] = std::move(type);
    obj["outcome"] = event.outcome;
    obj["principal"] = std::move(principal);
    obj["origin"] = std::move(origin);
    obj["resource"] = std::move(resource);
    if (!reason.empty()) obj["reason"] = std::move(reason);
    if (!details.empty()) obj["details"] = std::move(details);
    if (masked > 0) obj["pan_redacted"] = static_cast<uint64_t>(masked);
    line = boost::json::serialize(obj);

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
  std::lock_guard<std::mutex> lock(mu_);
  Status first;
  for (const auto& sink : sinks_) {
    Status st = sink->Flush();
    if (!st.ok() && first.ok()) first = st.WithContext("audit sink flush");
  }
  return first;
}

}  // namespace kura
