#include "logs/ingest/syslog_parser.h"

#include <algorithm>
#include <array>
#include <bit>
#include <cstring>
#include <cctype>
#include <string>
#include <utility>
#include <vector>

#include <boost/json.hpp>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

#include "core/pan/pan_scanner.h"
#include "logs/record/timestamp.h"

namespace kura::logs {
namespace {

constexpr std::array<std::string_view, 8> kSeverities = {
    "emerg", "alert", "crit", "err", "warning", "notice", "info", "debug"};
constexpr std::array<std::string_view, 24> kFacilities = {
    "kern",   "user",   "mail",   "daemon", "auth",   "syslog", "lpr",      "news",
    "uucp",   "cron",   "authpriv", "ftp",  "ntp",    "security", "console", "solaris-cron",
    "local0", "local1", "local2", "local3", "local4", "local5", "local6",   "local7"};
constexpr size_t kMaxSdNameBytes = 32;  // SD-ID and PARAM-NAME (RFC 5424)

Status Bad(std::string what) { return InvalidArgumentError("syslog: " + std::move(what)); }

// Copies `text` into `dst` through the PAN guard (when `guard`: see
// MayHoldPan; otherwise no field can hold a PAN-like match).
void Guarded(std::string_view text, bool guard, std::string* dst, uint32_t* redacted) {
  if (guard && pan::ContainsPan(text)) {
    *dst = GuardString(text, redacted);
  } else {
    dst->assign(text);
  }
}

// Parses "<PRI>" at the start; returns the rest.
Result<std::string_view> ParsePri(std::string_view s, int* pri) {
  if (s.empty() || s[0] != '<') return Bad("missing <PRI>");
  size_t i = 1;
  int v = 0;
  while (i < s.size() && i <= 3 && s[i] >= '0' && s[i] <= '9') v = v * 10 + (s[i++] - '0');
  if (i == 1 || i >= s.size() || s[i] != '>' || v > 191) return Bad("bad <PRI>");
  *pri = v;
  return s.substr(i + 1);
}

// Next space-separated header field; advances `s` past it and one SP.
Result<std::string_view> Token(std::string_view& s, std::string_view name) {
  const size_t sp = s.find(' ');
  if (sp == 0 || sp == std::string_view::npos) return Bad("missing " + std::string(name));
  std::string_view t = s.substr(0, sp);
  s.remove_prefix(sp + 1);
  return t;
}

bool IsSdNameChar(char c) {
  return c > 32 && c < 127 && c != '=' && c != ']' && c != '"' && c != ' ';
}

// `key`, or "key#2", "key#3", ... — the first that `taken` reports free
// (RFC 5424 allows repeated SD-IDs and PARAM-NAMEs; every value is kept).
template <typename Taken>
void UniqueKey(std::string* key, Taken taken) {
  if (!taken(*key)) return;
  const size_t base = key->size();
  for (int n = 2;; ++n) {
    key->resize(base);
    key->push_back('#');
    key->append(std::to_string(n));
    if (!taken(*key)) return;
  }
}

std::string_view Nil(std::string_view t) { return t == "-" ? std::string_view() : t; }

// "Mmm dd hh:mm:ss" (RFC 3164 TIMESTAMP; day space-padded).
bool LooksLikeBsdTimestamp(std::string_view s) {
  if (s.size() < 15) return false;
  static constexpr std::string_view kMonths = "JanFebMarAprMayJunJulAugSepOctNovDec";
  bool month = false;
  for (size_t m = 0; m < 12; ++m) month = month || s.substr(0, 3) == kMonths.substr(m * 3, 3);
  auto digit = [&](size_t i) { return s[i] >= '0' && s[i] <= '9'; };
  return month && s[3] == ' ' && (s[4] == ' ' || digit(4)) && digit(5) && s[6] == ' ' &&
         digit(7) && digit(8) && s[9] == ':' && digit(10) && digit(11) && s[12] == ':' &&
         digit(13) && digit(14);
}

// The extra string fields a syslog header contributes, in output order
// (facility, procid, msgid / facility, bsd_timestamp, procid).
struct Extras {
  static constexpr size_t kMax = 4;
  std::array<std::string_view, kMax> keys;
  std::array<std::string, kMax> values;  // guarded copies (reused storage is the record's)
  size_t count = 0;
  std::string& Add(std::string_view key) {
    keys[count] = key;
    return values[count++];
  }
};

}  // namespace

std::string_view SyslogSeverityName(int severity) {
  return severity >= 0 && severity < 8 ? kSeverities[static_cast<size_t>(severity)] : "";
}

std::string_view SyslogFacilityName(int facility) {
  return facility >= 0 && facility < 24 ? kFacilities[static_cast<size_t>(facility)] : "";
}

namespace {

constexpr uint64_t kOnes = 0x0101010101010101ULL;
constexpr uint64_t kHigh = 0x8080808080808080ULL;

// The exact scan behind MayHoldPan (run only when the quick test below finds
// a candidate).
bool MayHoldPanExact(std::string_view text) {
  size_t chain = 0;  // digits in the current chain of groups
  const size_t n = text.size();
  auto digit = [&](size_t i) { return text[i] >= '0' && text[i] <= '9'; };
  size_t i = 0;
  while (i < n) {
    if (i + 8 <= n) {
      // 8 bytes without a digit end any chain (it needs a digit at least
      // every other byte): skip them at once ("hasbetween", exact as a
      // boolean for bytes '0' - 1 < b < '9' + 1).
      uint64_t x;
      std::memcpy(&x, text.data() + i, 8);
      const uint64_t low7 = x & (kOnes * 127);
      const uint64_t has_digit =
          (kOnes * (127 + ('9' + 1)) - low7) & ~x & (low7 + kOnes * (127 - ('0' - 1))) & (kOnes * 128);
      if (has_digit == 0) {
        chain = 0;
        i += 8;
        continue;
      }
    }
    const size_t end = std::min(n, i + 8);
    for (; i < end; ++i) {
      const char c = text[i];
      if (c >= '0' && c <= '9') {
        if (++chain >= pan::kMinPanDigits) return true;
      } else if (chain > 0 && (c == ' ' || c == '-') && i > 0 && digit(i - 1) && i + 1 < n &&
                 digit(i + 1)) {
        // one separator between two digits continues the chain
      } else {
        chain = 0;
      }
    }
  }
  return false;
}

// 0x80 in every byte of `x` that is zero, 0 in the others (exact per byte:
// no borrow crosses bytes).
uint64_t ZeroBytes(uint64_t x) {
  constexpr uint64_t kLow7 = kOnes * 0x7f;
  return ~(((x & kLow7) + kLow7) | x | kLow7);
}

// Bit k set iff byte k of `x` (memory order) is a digit, ' ' or '-': a byte
// that can be part of a chain. "hasbetween" is exact per byte for these
// bounds (no borrow or carry crosses bytes).
unsigned ChainByteMask(uint64_t x) {
  const uint64_t low7 = x & (kOnes * 127);
  const uint64_t digits =
      (kOnes * (127 + ('9' + 1)) - low7) & ~x & (low7 + kOnes * (127 - ('0' - 1))) & kHigh;
  const uint64_t m = digits | ZeroBytes(x ^ (kOnes * ' ')) | ZeroBytes(x ^ (kOnes * '-'));
  // Gather the high bits: byte k's bit 7 goes to bit 56 + k.
  return static_cast<unsigned>(((m >> 7) * 0x0102040810204080ULL) >> 56);
}

}  // namespace

bool MayHoldPan(std::string_view text) {
  // A chain is a run of at least kMinPanDigits consecutive bytes that are
  // digits, ' ' or '-'. Without such a run the answer is false; runs are
  // rare in log text (timestamps and addresses break at 'T', ':', '.'), so
  // the exact scan runs only for those messages. 16 (SSE2) or 8 bytes per
  // step: `run` counts the chain bytes that end the previous step.
  static_assert(pan::kMinPanDigits <= 16);
  static_assert(std::endian::native == std::endian::little,
                "byte k of a word must be bit k of the mask");
  const size_t n = text.size();
  size_t run = 0;
  size_t i = 0;
#if defined(__SSE2__)
  const __m128i zero_char = _mm_set1_epi8('0');
  const __m128i nine = _mm_set1_epi8(9);
  const __m128i space = _mm_set1_epi8(' ');
  const __m128i dash = _mm_set1_epi8('-');
  for (; i + 16 <= n; i += 16) {
    const __m128i v = _mm_loadu_si128(reinterpret_cast<const __m128i*>(text.data() + i));
    const __m128i t = _mm_sub_epi8(v, zero_char);  // a digit: 0..9 unsigned
    const __m128i digit = _mm_cmpeq_epi8(_mm_min_epu8(t, nine), t);
    const __m128i chain = _mm_or_si128(
        digit, _mm_or_si128(_mm_cmpeq_epi8(v, space), _mm_cmpeq_epi8(v, dash)));
    const auto m = static_cast<uint16_t>(_mm_movemask_epi8(chain));
    if (m == 0xffff) {
      run += 16;
      continue;
    }
    run += static_cast<size_t>(std::countr_one(m));
    // A run inside the 16 bytes: bit k of y is set iff bits k..k+12 are.
    uint32_t y = m;
    y &= y >> 1;
    y &= y >> 2;
    y &= y >> 4;
    y &= y >> (pan::kMinPanDigits - 8);
    if (run >= pan::kMinPanDigits || y != 0) return MayHoldPanExact(text);
    run = static_cast<size_t>(std::countl_one(m));
  }
#endif
  for (; i < n; i += 8) {
    uint64_t x = 0;  // zero bytes past the end are not chain bytes
    std::memcpy(&x, text.data() + i, std::min<size_t>(8, n - i));
    const auto m = static_cast<uint8_t>(ChainByteMask(x));
    if (m == 0xff) {
      run += 8;
    } else {
      // A run inside one word is at most 7 bytes: only one that continues
      // the previous word can be long enough.
      run += static_cast<size_t>(std::countr_one(m));
      if (run >= pan::kMinPanDigits) return MayHoldPanExact(text);
      run = static_cast<size_t>(std::countl_one(m));
    }
    if (run >= pan::kMinPanDigits) return MayHoldPanExact(text);
  }
  return run >= pan::kMinPanDigits && MayHoldPanExact(text);
}

// STRUCTURED-DATA: "-" or 1*SD-ELEMENT. Advances `s` past it; the elements
// and their parameters (escapes undone, repeated names made unique) are left
// in elements_/params_.
Status SyslogParser::ParseStructuredData(std::string_view& s, bool guard, uint32_t* redacted) {
  element_count_ = 0;
  param_count_ = 0;
  if (!s.empty() && s[0] == '-') {
    s.remove_prefix(1);
    return OkStatus();
  }
  if (s.empty() || s[0] != '[') return Bad("bad STRUCTURED-DATA");
  while (!s.empty() && s[0] == '[') {
    size_t i = 1;
    while (i < s.size() && IsSdNameChar(s[i])) ++i;
    if (i == 1 || i - 1 > kMaxSdNameBytes || i >= s.size()) return Bad("bad SD-ID");
    if (element_count_ == elements_.size()) elements_.emplace_back();
    SdElement& e = elements_[element_count_];
    Guarded(s.substr(1, i - 1), guard, &e.id, redacted);
    e.first = param_count_;
    e.count = 0;
    while (i < s.size() && s[i] == ' ') {
      ++i;
      const size_t name_start = i;
      while (i < s.size() && IsSdNameChar(s[i])) ++i;
      if (i == name_start || i - name_start > kMaxSdNameBytes || i + 1 >= s.size() ||
          s[i] != '=' || s[i + 1] != '"') {
        return Bad("bad SD-PARAM");
      }
      const std::string_view name = s.substr(name_start, i - name_start);
      i += 2;
      std::string& value = scratch_;
      value.clear();
      bool closed = false;
      while (i < s.size()) {
        // Copy the run up to the next quote or backslash at once.
        size_t j = i;
        while (j < s.size() && s[j] != '"' && s[j] != '\\') ++j;
        value.append(s.data() + i, j - i);
        i = j;
        if (i >= s.size()) break;
        const char c = s[i];
        if (c == '\\' && i + 1 < s.size() && (s[i + 1] == '"' || s[i + 1] == '\\' || s[i + 1] == ']')) {
          value.push_back(s[i + 1]);
          i += 2;
          continue;
        }
        if (c == '"') {
          closed = true;
          ++i;
          break;
        }
        value.push_back(c);
        ++i;
      }
      if (!closed) return Bad("unterminated SD-PARAM value");
      if (param_count_ == params_.size()) params_.emplace_back();
      SdParam& p = params_[param_count_];
      Guarded(name, guard, &p.name, redacted);
      Guarded(value, guard, &p.value, redacted);
      const size_t first = e.first;
      const size_t count = e.count;
      UniqueKey(&p.name, [&](const std::string& k) {
        for (size_t q = first; q < first + count; ++q) {
          if (params_[q].name == k) return true;
        }
        return false;
      });
      ++param_count_;
      ++e.count;
    }
    if (i >= s.size() || s[i] != ']') return Bad("bad SD-ELEMENT");
    UniqueKey(&e.id, [&](const std::string& k) {
      for (size_t q = 0; q < element_count_; ++q) {
        if (elements_[q].id == k) return true;
      }
      return false;
    });
    ++element_count_;
    s.remove_prefix(i + 1);
  }
  return OkStatus();
}

// "sd":{...} as boost::json::serialize wrote it (keys in order; strings
// escaped by AppendJsonString, which matches boost's escaping).
void SyslogParser::AppendSdJson(std::string* out) const {
  out->push_back('{');
  for (size_t q = 0; q < element_count_; ++q) {
    const SdElement& e = elements_[q];
    if (q > 0) out->push_back(',');
    AppendJsonString(e.id, out);
    out->append(":{");
    for (size_t k = e.first; k < e.first + e.count; ++k) {
      if (k > e.first) out->push_back(',');
      AppendJsonString(params_[k].name, out);
      out->push_back(':');
      AppendJsonString(params_[k].value, out);
    }
    out->push_back('}');
  }
  out->push_back('}');
}

Result<LogRecord> ParseSyslogMessage(std::string_view message, const EventContext& ctx) {
  SyslogParser parser;
  LogRecord r;
  RETURN_IF_ERROR(parser.Parse(message, ctx, &r));
  return r;
}

Status SyslogParser::Parse(std::string_view message, const EventContext& ctx, LogRecord* out) {
  if (message.empty()) return Bad("empty message");
  if (message.size() > kMaxEventBytes) {
    return Bad("message larger than " + std::to_string(kMaxEventBytes) + " bytes");
  }
  if (!IsValidUtf8(message)) return Bad("message is not valid UTF-8");
  int pri = 0;
  ASSIGN_OR_RETURN(std::string_view s, ParsePri(message, &pri));
  const bool guard = MayHoldPan(message);
  LogRecord& r = *out;
  r.seq = 0;
  r.received_ms = ctx.received_ms;
  r.ts_ms = ctx.received_ms;
  r.node.assign(ctx.node);
  r.source.assign(ctx.source);
  for (size_t i = 0; i < kStringFields.size(); ++i) (r.*StringFieldMember(i)).clear();
  r.severity.assign(SyslogSeverityName(pri % 8));
  r.pan_redacted = 0;
  r.fields_json.clear();
  element_count_ = 0;
  param_count_ = 0;
  Extras x;
  x.Add("facility").assign(SyslogFacilityName(pri / 8));

  std::string_view msg;
  if (s.size() >= 2 && s[0] == '1' && s[1] == ' ') {
    // RFC 5424.
    s.remove_prefix(2);
    ASSIGN_OR_RETURN(std::string_view ts, Token(s, "TIMESTAMP"));
    if (ts != "-") {
      Result<int64_t> t = ParseTimestamp(ts);
      if (!t.ok()) return Bad("TIMESTAMP: " + t.status().message());
      r.ts_ms = *t;
    }
    ASSIGN_OR_RETURN(std::string_view host, Token(s, "HOSTNAME"));
    ASSIGN_OR_RETURN(std::string_view app, Token(s, "APP-NAME"));
    ASSIGN_OR_RETURN(std::string_view procid, Token(s, "PROCID"));
    // MSGID is followed by SP and STRUCTURED-DATA.
    ASSIGN_OR_RETURN(std::string_view msgid, Token(s, "MSGID"));
    Guarded(Nil(host), guard, &r.host, &r.pan_redacted);
    Guarded(Nil(app), guard, &r.app, &r.pan_redacted);
    if (!Nil(procid).empty()) Guarded(procid, guard, &x.Add("procid"), &r.pan_redacted);
    if (!Nil(msgid).empty()) Guarded(msgid, guard, &x.Add("msgid"), &r.pan_redacted);
    RETURN_IF_ERROR(ParseStructuredData(s, guard, &r.pan_redacted));
    if (!s.empty()) {
      if (s[0] != ' ') return Bad("expected a space after STRUCTURED-DATA");
      s.remove_prefix(1);
      if (s.substr(0, 3) == "\xEF\xBB\xBF") s.remove_prefix(3);
    }
    msg = s;
  } else {
    // RFC 3164 (BSD): everything after PRI is optional in practice.
    if (LooksLikeBsdTimestamp(s)) {
      x.Add("bsd_timestamp").assign(s.substr(0, 15));
      s.remove_prefix(15);
      if (!s.empty() && s[0] == ' ') s.remove_prefix(1);
      const size_t sp = s.find(' ');
      if (sp != std::string_view::npos && sp > 0 &&
          s.substr(0, sp).find(':') == std::string_view::npos) {
        Guarded(s.substr(0, sp), guard, &r.host, &r.pan_redacted);
        s.remove_prefix(sp + 1);
      }
    }
    // TAG: up to 32 alphanumerics (plus . _ - /), then "[pid]" and/or ":".
    size_t t = 0;
    while (t < s.size() && t < 48 &&
           (std::isalnum(static_cast<unsigned char>(s[t])) || s[t] == '.' || s[t] == '_' ||
            s[t] == '-' || s[t] == '/')) {
      ++t;
    }
    if (t > 0 && t < s.size() && (s[t] == ':' || s[t] == '[')) {
      Guarded(s.substr(0, t), guard, &r.app, &r.pan_redacted);
      size_t i = t;
      if (s[i] == '[') {
        const size_t close = s.find(']', i);
        if (close != std::string_view::npos) {
          Guarded(s.substr(i + 1, close - i - 1), guard, &x.Add("procid"), &r.pan_redacted);
          i = close + 1;
        }
      }
      if (i < s.size() && s[i] == ':') ++i;
      if (i < s.size() && s[i] == ' ') ++i;
      s.remove_prefix(i);
    }
    msg = s;
  }

  // MSG: a JSON object event, or text.
  size_t k = 0;
  while (k < msg.size() && (msg[k] == ' ' || msg[k] == '\t')) ++k;
  if (k < msg.size() && msg[k] == '{' && msg.back() == '}') {
    Result<LogRecord> event = RecordFromJsonEvent(msg.substr(k), ctx);
    if (event.ok()) {
      LogRecord e = std::move(event).value();
      if (e.host.empty()) e.host = std::move(r.host);
      if (e.app.empty()) e.app = std::move(r.app);
      if (e.severity.empty()) e.severity = std::move(r.severity);
      e.pan_redacted += r.pan_redacted;
      boost::json::object fields;
      if (!e.fields_json.empty()) fields = boost::json::parse(e.fields_json).as_object();
      for (size_t i = 0; i < x.count; ++i) {
        if (!fields.contains(x.keys[i])) fields[x.keys[i]] = x.values[i];
      }
      if (element_count_ > 0 && !fields.contains("sd")) {
        std::string sd;
        AppendSdJson(&sd);
        fields["sd"] = boost::json::parse(sd);
      }
      e.fields_json = fields.empty() ? "" : boost::json::serialize(fields);
      r = std::move(e);
      return OkStatus();
    }
  }
  Guarded(msg, guard, &r.message, &r.pan_redacted);
  // x always holds the facility, so fields are never empty.
  std::string& f = r.fields_json;
  f.push_back('{');
  for (size_t i = 0; i < x.count; ++i) {
    if (i > 0) f.push_back(',');
    AppendJsonString(x.keys[i], &f);
    f.push_back(':');
    AppendJsonString(x.values[i], &f);
  }
  if (element_count_ > 0) {
    f.append(",\"sd\":");
    AppendSdJson(&f);
  }
  f.push_back('}');
  return OkStatus();
}

}  // namespace kura::logs
