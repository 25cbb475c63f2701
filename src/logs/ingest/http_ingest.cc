#include "logs/ingest/http_ingest.h"

#include <vector>

#include "core/auth/guard.h"
#include "core/http/json_error.h"
#include "logs/record/event_mapper.h"

namespace kura::logs {

HttpIngest::HttpIngest(Ingestor& ingestor, const auth::Authenticator& authenticator,
                       const Clock& clock, AuditLog* audit, std::string node_id)
    : ingestor_(ingestor),
      authenticator_(authenticator),
      clock_(clock),
      audit_(audit),
      node_id_(std::move(node_id)) {}

void HttpIngest::RegisterRoutes(http::Router& router) {
  router.Add("POST", "/v1/events",
             auth::RequireScope(authenticator_, std::string(kLogsWriteScope),
                                [this](const http::HttpRequest& req, const auth::Principal& who) {
                                  return Handle(req, who);
                                }));
}

http::HttpResponse HttpIngest::Handle(const http::HttpRequest& req, const auth::Principal& who) {
  const EventContext ctx{clock_.NowUnixMillis(), node_id_, "http"};
  std::vector<LogRecord> records;
  std::string rejected_json;
  uint64_t rejected = 0;
  Status first_error;
  std::string_view body = req.body;
  size_t line_no = 0;
  while (!body.empty()) {
    const size_t nl = body.find('\n');
    std::string_view line = body.substr(0, nl);
    body.remove_prefix(nl == std::string_view::npos ? body.size() : nl + 1);
    ++line_no;
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (line.find_first_not_of(" \t") == std::string_view::npos) continue;
    Result<LogRecord> r = RecordFromJsonEvent(line, ctx);
    if (r.ok()) {
      records.push_back(std::move(r).value());
      continue;
    }
    if (rejected == 0) first_error = r.status();
    if (rejected < kMaxRejectedListed) {
      rejected_json += rejected_json.empty() ? "" : ",";
      rejected_json += "{\"line\":" + std::to_string(line_no) + ",\"error\":";
      AppendJsonString(r.status().message(), &rejected_json);
      rejected_json += "}";
    }
    ++rejected;
  }
  if (rejected > 0) {
    ingestor_.CountRejected(rejected);
    if (audit_) {
      AuditEvent ev;
      ev.type = "logs.ingest.reject";
      ev.outcome = std::string(kAuditFailure);
      ev.principal = who.name;
      ev.origin = req.peer;
      ev.resource = "POST /v1/events";
      ev.reason = first_error.message();
      ev.details = {{"rejected", std::to_string(rejected)}};
      audit_->Emit(ev).IgnoreError();  // the response reports the rejects anyway
    }
  }
  Status s = ingestor_.Submit(records);
  if (!s.ok()) {
    // Fail closed: storage refuses; nothing of this request was accepted.
    return http::JsonError(503, StatusCodeName(StatusCode::kUnavailable), s.message());
  }
  std::string out = "{\"accepted\":" + std::to_string(records.size());
  if (!records.empty()) {
    out += ",\"first_seq\":" + std::to_string(records.front().seq) +
           ",\"last_seq\":" + std::to_string(records.back().seq);
  }
  out += ",\"rejected\":[" + rejected_json + "],\"rejected_count\":" + std::to_string(rejected) + "}";
  return http::HttpResponse::Json(200, std::move(out));
}

}  // namespace kura::logs
