#include "logs/record/log_record.h"

#include <boost/json.hpp>
#include <bit>
#include <charconv>
#include <cstring>
#if defined(__SSE2__)
#include <emmintrin.h>
#endif

#include "logs/record/timestamp.h"

namespace kura::logs {
namespace {

using Member = std::string LogRecord::*;
constexpr std::array<Member, kStringFields.size()> kMembers = {
    &LogRecord::service,   &LogRecord::event,  &LogRecord::outcome, &LogRecord::principal,
    &LogRecord::origin,    &LogRecord::resource, &LogRecord::reason, &LogRecord::host,
    &LogRecord::app,       &LogRecord::severity, &LogRecord::message};

void AppendKey(std::string_view key, std::string* out) {
  out->push_back(',');
  out->push_back('"');
  out->append(key);
  out->append("\":");
}

void AppendUint(uint64_t v, std::string* out) {
  char buf[24];
  auto [end, ec] = std::to_chars(buf, buf + sizeof buf, v);
  (void)ec;
  out->append(buf, end);
}

Status Corrupt(std::string_view what) {
  return DataLossError("log record: " + std::string(what));
}

// True if one of the 8 bytes of `x` is < 0x20, '"' or '\\' (the bytes
// AppendJsonString escapes). Exact as a boolean (the "haszero"/"hasless"
// tricks): a false answer lets the caller skip 8 bytes at once.
bool AnyNeedsEscape(uint64_t x) {
  constexpr uint64_t kOnes = 0x0101010101010101ULL;
  constexpr uint64_t kHigh = 0x8080808080808080ULL;
  const uint64_t lt = (x - kOnes * 0x20) & ~x & kHigh;
  const uint64_t q = x ^ (kOnes * '"');
  const uint64_t b = x ^ (kOnes * '\\');
  return (lt | ((q - kOnes) & ~q & kHigh) | ((b - kOnes) & ~b & kHigh)) != 0;
}

bool NeedsEscape(unsigned char c) { return c < 0x20 || c == '"' || c == '\\'; }

// The index of the first byte at or after `i` that AppendJsonString escapes,
// or s.size(). Most text needs no escape: 16 (SSE2) or 8 bytes per step.
size_t NextToEscape(std::string_view s, size_t i) {
  const size_t n = s.size();
#if defined(__SSE2__)
  const __m128i max_control = _mm_set1_epi8(0x1f);
  const __m128i quote = _mm_set1_epi8('"');
  const __m128i backslash = _mm_set1_epi8('\\');
  for (; i + 16 <= n; i += 16) {
    const __m128i v = _mm_loadu_si128(reinterpret_cast<const __m128i*>(s.data() + i));
    const __m128i control = _mm_cmpeq_epi8(_mm_min_epu8(v, max_control), v);  // unsigned v < 0x20
    const __m128i hit = _mm_or_si128(
        control, _mm_or_si128(_mm_cmpeq_epi8(v, quote), _mm_cmpeq_epi8(v, backslash)));
    const auto m = static_cast<uint32_t>(_mm_movemask_epi8(hit));
    if (m != 0) return i + static_cast<size_t>(std::countr_zero(m));
  }
#endif
  for (; i + 8 <= n; i += 8) {
    uint64_t word;
    std::memcpy(&word, s.data() + i, 8);
    if (AnyNeedsEscape(word)) break;
  }
  for (; i < n; ++i) {
    if (NeedsEscape(static_cast<unsigned char>(s[i]))) return i;
  }
  return n;
}

}  // namespace

std::string LogRecord::*StringFieldMember(size_t i) { return kMembers.at(i); }

void AppendJsonString(std::string_view s, std::string* out) {
  static constexpr char kHex[] = "0123456789abcdef";
  out->push_back('"');
  size_t run = 0;  // start of the pending run of bytes that need no escape
  for (size_t i = NextToEscape(s, 0); i < s.size(); i = NextToEscape(s, i + 1)) {
    const auto c = static_cast<unsigned char>(s[i]);
    out->append(s.data() + run, i - run);
    run = i + 1;
    switch (c) {
      case '"': out->append("\\\""); break;
      case '\\': out->append("\\\\"); break;
      case '\n': out->append("\\n"); break;
      case '\r': out->append("\\r"); break;
      case '\t': out->append("\\t"); break;
      case '\b': out->append("\\b"); break;
      case '\f': out->append("\\f"); break;
      default: {
        const char esc[6] = {'\\', 'u', '0', '0', kHex[c >> 4], kHex[c & 0xf]};
        out->append(esc, 6);
      }
    }
  }
  out->append(s.data() + run, s.size() - run);
  out->push_back('"');
}

void AppendRecord(const LogRecord& r, std::string* out) {
  out->append("{\"seq\":");
  AppendUint(r.seq, out);
  AppendKey("received", out);
  out->push_back('"');
  AppendTimestamp(r.received_ms, out);  // digits, '-', ':', '.', 'T', 'Z': nothing to escape
  out->push_back('"');
  AppendKey("node", out);
  AppendJsonString(r.node, out);
  AppendKey("source", out);
  AppendJsonString(r.source, out);
  AppendKey("ts", out);
  out->push_back('"');
  AppendTimestamp(r.ts_ms, out);
  out->push_back('"');
  for (size_t i = 0; i < kStringFields.size(); ++i) {
    const std::string& v = r.*kMembers[i];
    if (v.empty()) continue;
    AppendKey(kStringFields[i], out);
    AppendJsonString(v, out);
  }
  if (r.pan_redacted > 0) {
    AppendKey("pan_redacted", out);
    AppendUint(r.pan_redacted, out);
  }
  if (!r.fields_json.empty()) {
    AppendKey("fields", out);
    out->append(r.fields_json);
  }
  out->push_back('}');
}

std::string EncodeRecord(const LogRecord& record) {
  std::string out;
  out.reserve(256 + record.message.size() + record.fields_json.size());
  AppendRecord(record, &out);
  return out;
}

Result<LogRecord> DecodeRecord(std::string_view bytes) {
  boost::system::error_code ec;
  boost::json::value v = boost::json::parse(bytes, ec);
  if (ec || !v.is_object()) return Corrupt("not a JSON object");
  const boost::json::object& o = v.get_object();
  LogRecord r;
  const auto* seq = o.if_contains("seq");
  if (seq != nullptr && seq->is_int64() && seq->get_int64() >= 1) {
    r.seq = static_cast<uint64_t>(seq->get_int64());
  } else if (seq != nullptr && seq->is_uint64()) {
    r.seq = seq->get_uint64();
  } else {
    return Corrupt("missing or bad seq");
  }
  auto time_field = [&](std::string_view key, int64_t* out) -> Status {
    const auto* f = o.if_contains(key);
    if (f == nullptr || !f->is_string()) return Corrupt("missing or bad " + std::string(key));
    auto t = ParseTimestamp(f->get_string());
    if (!t.ok()) return Corrupt("bad " + std::string(key));
    *out = *t;
    return OkStatus();
  };
  RETURN_IF_ERROR(time_field("received", &r.received_ms));
  RETURN_IF_ERROR(time_field("ts", &r.ts_ms));
  auto string_field = [&](std::string_view key, std::string* out) -> Status {
    const auto* f = o.if_contains(key);
    if (f == nullptr) return OkStatus();
    if (!f->is_string()) return Corrupt("field " + std::string(key) + " is not a string");
    out->assign(f->get_string().data(), f->get_string().size());
    return OkStatus();
  };
  RETURN_IF_ERROR(string_field("node", &r.node));
  RETURN_IF_ERROR(string_field("source", &r.source));
  for (size_t i = 0; i < kStringFields.size(); ++i) {
    RETURN_IF_ERROR(string_field(kStringFields[i], &(r.*kMembers[i])));
  }
  if (const auto* p = o.if_contains("pan_redacted")) {
    if (!p->is_int64() || p->get_int64() < 0 || p->get_int64() > UINT32_MAX) {
      return Corrupt("bad pan_redacted");
    }
    r.pan_redacted = static_cast<uint32_t>(p->get_int64());
  }
  if (const auto* f = o.if_contains("fields")) {
    if (!f->is_object()) return Corrupt("fields is not an object");
    if (!f->get_object().empty()) r.fields_json = boost::json::serialize(*f);
  }
  return r;
}

}  // namespace kura::logs
