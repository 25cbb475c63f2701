#include "logs/search/search_http.h"

#include <charconv>
#include <set>
#include <string>

#include "core/auth/guard.h"
#include "core/http/json_error.h"
#include "logs/record/log_record.h"
#include "logs/record/timestamp.h"

namespace kura::logs {
namespace {

const std::set<std::string, std::less<>>& KnownParams() {
  static const std::set<std::string, std::less<>> kParams = {"q",     "since", "from",    "to",
                                                             "limit", "count", "group_by"};
  return kParams;
}

const std::string* Param(const http::HttpRequest& req, const char* name) {
  auto it = req.query.find(name);
  return it == req.query.end() ? nullptr : &it->second;
}

// Builds the engine request from the query parameters. Errors are
// kInvalidArgument and never quote a value.
Result<SearchRequest> ParseParams(const http::HttpRequest& req, const Clock& clock) {
  SearchRequest out;
  for (const auto& [name, value] : req.query) {
    if (!KnownParams().contains(name)) {
      return InvalidArgumentError("search: unknown parameter (expected q, since, from, to, "
                                  "limit, count, group_by)");
    }
  }
  if (const std::string* q = Param(req, "q")) out.query = *q;
  const std::string* since = Param(req, "since");
  const std::string* from = Param(req, "from");
  if (since != nullptr && from != nullptr) {
    return InvalidArgumentError("search: since and from exclude each other");
  }
  if (since != nullptr) {
    ASSIGN_OR_RETURN(int64_t d, ParseSinceDuration(*since));
    out.from_ms = clock.NowUnixMillis() - d;
  }
  if (from != nullptr) {
    Result<int64_t> t = ParseTimeBound(*from);
    if (!t.ok()) return t.status().WithContext("from");
    out.from_ms = *t;
  }
  if (const std::string* to = Param(req, "to")) {
    Result<int64_t> t = ParseTimeBound(*to);
    if (!t.ok()) return t.status().WithContext("to");
    out.to_ms = to->size() == 10 ? *t + kMillisPerDay : *t;  // a date names the whole day
  }
  if (const std::string* limit = Param(req, "limit")) {
    size_t n = 0;
    auto [p, ec] = std::from_chars(limit->data(), limit->data() + limit->size(), n);
    if (ec != std::errc() || p != limit->data() + limit->size() || n == 0 ||
        n > kMaxSearchLimit) {
      return InvalidArgumentError("search: limit must be 1.." + std::to_string(kMaxSearchLimit));
    }
    out.limit = n;
  }
  if (const std::string* count = Param(req, "count")) {
    if (*count == "1" || *count == "true") {
      out.count = true;
    } else if (*count != "0" && *count != "false") {
      return InvalidArgumentError("search: count must be 1, true, 0 or false");
    }
  }
  if (const std::string* group_by = Param(req, "group_by")) {
    if (group_by->empty()) return InvalidArgumentError("search: group_by names no field");
    out.group_by = *group_by;
  }
  return out;
}

void AppendWarnings(const SearchResult& r, std::string* out) {
  *out += ",\"warnings\":[";
  for (size_t i = 0; i < r.warnings.size(); ++i) {
    if (i > 0) *out += ',';
    AppendJsonString(r.warnings[i], out);
  }
  *out += "],\"incomplete\":";
  *out += r.warnings.empty() ? "false" : "true";
}

std::string ResultJson(const SearchRequest& req, const SearchResult& r) {
  std::string out = "{\"count\":" + std::to_string(r.count);
  if (!req.group_by.empty()) {
    out += ",\"group_by\":";
    AppendJsonString(req.group_by, &out);
    out += ",\"groups\":[";
    for (size_t i = 0; i < r.groups.size(); ++i) {
      if (i > 0) out += ',';
      out += "{\"value\":";
      if (r.groups[i].first.empty()) {
        out += "null";
      } else {
        AppendJsonString(r.groups[i].first, &out);
      }
      out += ",\"count\":" + std::to_string(r.groups[i].second) + "}";
    }
    out += ']';
  } else if (!req.count) {
    out += ",\"truncated\":";
    out += r.truncated ? "true" : "false";
    out += ",\"records\":[";
    size_t bytes = 0;
    for (const std::string& rec : r.records) bytes += rec.size() + 1;
    out.reserve(out.size() + bytes + 128);
    for (size_t i = 0; i < r.records.size(); ++i) {
      if (i > 0) out += ',';
      out += r.records[i];  // the stored record is a canonical JSON object
    }
    out += ']';
  }
  AppendWarnings(r, &out);
  out += '}';
  return out;
}

}  // namespace

SearchHttp::SearchHttp(SearchEngine& engine, const auth::Authenticator& authenticator,
                       const Clock& clock, AuditLog* audit)
    : engine_(engine), authenticator_(authenticator), clock_(clock), audit_(audit) {}

void SearchHttp::RegisterRoutes(http::Router& router) {
  router.Add("GET", "/v1/search",
             auth::RequireScope(authenticator_, std::string(kLogsReadScope),
                                [this](const http::HttpRequest& req, const auth::Principal& who) {
                                  return Handle(req, who);
                                }));
}

http::HttpResponse SearchHttp::Handle(const http::HttpRequest& req, const auth::Principal& who) {
  Result<SearchRequest> parsed = ParseParams(req, clock_);
  if (!parsed.ok()) {
    if (audit_ != nullptr) {
      AuditEvent e;
      e.type = "logs.search";
      e.outcome = std::string(kAuditFailure);
      e.principal = who.name;
      e.origin = req.peer;
      e.resource = "GET /v1/search";
      e.reason = parsed.status().message();
      if (const std::string* q = Param(req, "q")) e.details.emplace_back("query", *q);
      if (Status s = audit_->Emit(e); !s.ok()) return http::ErrorResponse(s);
    }
    return http::ErrorResponse(parsed.status());
  }
  SearchRequest sr = std::move(parsed).value();
  sr.principal = who.name;
  sr.origin = req.peer;
  Result<SearchResult> r = engine_.Search(sr);
  // No result without a durable audit trail (the engine emitted the event).
  if (audit_ != nullptr) {
    if (Status s = audit_->Flush(); !s.ok()) {
      return http::ErrorResponse(UnavailableError("search not audited, result withheld"));
    }
  }
  if (!r.ok()) return http::ErrorResponse(r.status());
  return http::HttpResponse::Json(200, ResultJson(sr, *r));
}

}  // namespace kura::logs
