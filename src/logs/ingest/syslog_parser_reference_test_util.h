// The syslog parser as it was before the fast path (SyslogParser: reused
// records, hand-written SD JSON, PAN guard only when MayHoldPan): kept here,
// unchanged, as the reference the fast parser must match byte for byte.
#ifndef KURA_LOGS_INGEST_SYSLOG_PARSER_REFERENCE_H_
#define KURA_LOGS_INGEST_SYSLOG_PARSER_REFERENCE_H_

#include <array>
#include <cctype>
#include <string>
#include <utility>
#include <vector>

#include <boost/json.hpp>

#include "core/pan/pan_scanner.h"
#include "logs/record/event_mapper.h"
#include "logs/record/log_record.h"
#include "logs/record/timestamp.h"

namespace kura::logs::reference {

namespace {

constexpr std::array<std::string_view, 8> kSeverities = {
    "emerg", "alert", "crit", "err", "warning", "notice", "info", "debug"};
constexpr std::array<std::string_view, 24> kFacilities = {
    "kern",   "user",   "mail",   "daemon", "auth",   "syslog", "lpr",      "news",
    "uucp",   "cron",   "authpriv", "ftp",  "ntp",    "security", "console", "solaris-cron",
    "local0", "local1", "local2", "local3", "local4", "local5", "local6",   "local7"};
constexpr size_t kMaxSdNameBytes = 32;  // SD-ID and PARAM-NAME (RFC 5424)

Status Bad(std::string what) { return InvalidArgumentError("syslog: " + std::move(what)); }

// Copies `text` into `dst` through the PAN guard.
void Guarded(std::string_view text, std::string* dst, uint32_t* redacted) {
  if (pan::ContainsPan(text)) {
    *dst = GuardString(text, redacted);
  } else {
    dst->assign(text);
  }
}

std::string GuardedCopy(std::string_view text, uint32_t* redacted) {
  std::string out;
  Guarded(text, &out, redacted);
  return out;
}

// The extra fields a syslog header contributes, in output order.
struct Extras {
  std::vector<std::pair<std::string, std::string>> strings;  // facility, procid, msgid, ...
  boost::json::object sd;
};

void AppendFields(const Extras& x, std::string* out) {
  out->push_back('{');
  bool first = true;
  for (const auto& [k, v] : x.strings) {
    if (!first) out->push_back(',');
    first = false;
    AppendJsonString(k, out);
    out->push_back(':');
    AppendJsonString(v, out);
  }
  if (!x.sd.empty()) {
    if (!first) out->push_back(',');
    out->append("\"sd\":");
    out->append(boost::json::serialize(x.sd));
  }
  out->push_back('}');
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

void AddUnique(boost::json::object& o, std::string key, boost::json::value v) {
  if (!o.contains(key)) {
    o[key] = std::move(v);
    return;
  }
  for (int n = 2;; ++n) {
    std::string k = key + "#" + std::to_string(n);
    if (!o.contains(k)) {
      o[k] = std::move(v);
      return;
    }
  }
}

// STRUCTURED-DATA: "-" or 1*SD-ELEMENT. Advances `s` past it.
Status ParseStructuredData(std::string_view& s, boost::json::object* sd, uint32_t* redacted) {
  if (!s.empty() && s[0] == '-') {
    s.remove_prefix(1);
    return OkStatus();
  }
  if (s.empty() || s[0] != '[') return Bad("bad STRUCTURED-DATA");
  while (!s.empty() && s[0] == '[') {
    size_t i = 1;
    while (i < s.size() && IsSdNameChar(s[i])) ++i;
    if (i == 1 || i - 1 > kMaxSdNameBytes || i >= s.size()) return Bad("bad SD-ID");
    boost::json::object params;
    const std::string id = GuardedCopy(s.substr(1, i - 1), redacted);
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
      std::string value;
      bool closed = false;
      while (i < s.size()) {
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
      AddUnique(params, GuardedCopy(name, redacted),
                boost::json::string(GuardedCopy(value, redacted)));
    }
    if (i >= s.size() || s[i] != ']') return Bad("bad SD-ELEMENT");
    AddUnique(*sd, id, std::move(params));
    s.remove_prefix(i + 1);
  }
  return OkStatus();
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

// Fills `r` from MSG: a JSON object event, or text.
void SetMessage(std::string_view msg, const EventContext& ctx, LogRecord* r, Extras* x) {
  size_t k = 0;
  while (k < msg.size() && (msg[k] == ' ' || msg[k] == '\t')) ++k;
  if (k < msg.size() && msg[k] == '{' && msg.back() == '}') {
    Result<LogRecord> event = RecordFromJsonEvent(msg.substr(k), ctx);
    if (event.ok()) {
      LogRecord e = std::move(event).value();
      if (e.host.empty()) e.host = std::move(r->host);
      if (e.app.empty()) e.app = std::move(r->app);
      if (e.severity.empty()) e.severity = std::move(r->severity);
      e.pan_redacted += r->pan_redacted;
      boost::json::object fields;
      if (!e.fields_json.empty()) fields = boost::json::parse(e.fields_json).as_object();
      for (auto& [key, value] : x->strings) {
        if (!fields.contains(key)) fields[key] = value;
      }
      if (!x->sd.empty() && !fields.contains("sd")) fields["sd"] = std::move(x->sd);
      e.fields_json = fields.empty() ? "" : boost::json::serialize(fields);
      *r = std::move(e);
      return;
    }
  }
  Guarded(msg, &r->message, &r->pan_redacted);
  std::string fields;
  if (!x->strings.empty() || !x->sd.empty()) AppendFields(*x, &fields);
  r->fields_json = std::move(fields);
}

}  // namespace

inline std::string_view RefSeverityName(int severity) {
  return severity >= 0 && severity < 8 ? kSeverities[static_cast<size_t>(severity)] : "";
}

inline std::string_view RefFacilityName(int facility) {
  return facility >= 0 && facility < 24 ? kFacilities[static_cast<size_t>(facility)] : "";
}

inline Result<LogRecord> ReferenceParse(std::string_view message, const EventContext& ctx) {
  if (message.empty()) return Bad("empty message");
  if (message.size() > kMaxEventBytes) {
    return Bad("message larger than " + std::to_string(kMaxEventBytes) + " bytes");
  }
  if (!IsValidUtf8(message)) return Bad("message is not valid UTF-8");
  int pri = 0;
  ASSIGN_OR_RETURN(std::string_view s, ParsePri(message, &pri));
  LogRecord r;
  r.received_ms = ctx.received_ms;
  r.ts_ms = ctx.received_ms;
  r.node = std::string(ctx.node);
  r.source = std::string(ctx.source);
  r.severity = std::string(RefSeverityName(pri % 8));
  Extras x;
  x.strings.emplace_back("facility", std::string(RefFacilityName(pri / 8)));

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
    Guarded(Nil(host), &r.host, &r.pan_redacted);
    Guarded(Nil(app), &r.app, &r.pan_redacted);
    if (!Nil(procid).empty()) x.strings.emplace_back("procid", GuardedCopy(procid, &r.pan_redacted));
    if (!Nil(msgid).empty()) x.strings.emplace_back("msgid", GuardedCopy(msgid, &r.pan_redacted));
    RETURN_IF_ERROR(ParseStructuredData(s, &x.sd, &r.pan_redacted));
    if (!s.empty()) {
      if (s[0] != ' ') return Bad("expected a space after STRUCTURED-DATA");
      s.remove_prefix(1);
      if (s.substr(0, 3) == "\xEF\xBB\xBF") s.remove_prefix(3);
    }
    SetMessage(s, ctx, &r, &x);
    return r;
  }

  // RFC 3164 (BSD): everything after PRI is optional in practice.
  if (LooksLikeBsdTimestamp(s)) {
    x.strings.emplace_back("bsd_timestamp", std::string(s.substr(0, 15)));
    s.remove_prefix(15);
    if (!s.empty() && s[0] == ' ') s.remove_prefix(1);
    const size_t sp = s.find(' ');
    if (sp != std::string_view::npos && sp > 0 && s.substr(0, sp).find(':') == std::string_view::npos) {
      Guarded(s.substr(0, sp), &r.host, &r.pan_redacted);
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
    Guarded(s.substr(0, t), &r.app, &r.pan_redacted);
    size_t i = t;
    if (s[i] == '[') {
      const size_t close = s.find(']', i);
      if (close != std::string_view::npos) {
        x.strings.emplace_back("procid", GuardedCopy(s.substr(i + 1, close - i - 1), &r.pan_redacted));
        i = close + 1;
      }
    }
    if (i < s.size() && s[i] == ':') ++i;
    if (i < s.size() && s[i] == ' ') ++i;
    s.remove_prefix(i);
  }
  SetMessage(s, ctx, &r, &x);
  return r;
}


}  // namespace kura::logs::reference

#endif  // KURA_LOGS_INGEST_SYSLOG_PARSER_REFERENCE_H_
