// HttpIngest: `POST /v1/events`, the HTTPS NDJSON receiver.
//
// Request: one JSON event object per line (NDJSON; blank lines and a
// trailing CR are ignored), API key or mTLS principal with scope
// "logs:write". The body size is limited by the HttpServer
// (max_body_bytes -> 413).
//
// Response, only once every accepted record is durable:
//   200 {"accepted":N,"first_seq":A,"last_seq":B,
//        "rejected":[{"line":L,"error":"..."}],"rejected_count":R}
// (first_seq/last_seq only when N > 0; at most kMaxRejectedListed entries
// in "rejected", lines numbered from 1; errors never quote the input).
// A batch with only bad lines is still 200 with accepted 0: the request
// was processed, retrying it cannot help.
//   503 {"error":{"code":"unavailable","message":"audit store: ..."}}
// when ingest is refusing (disk full, failed fsync: fail closed) — nothing
// of the request was accepted, the sender retries.
//   401 / 403 from the auth guard.
//
// Rejected lines are counted (Ingestor::CountRejected) and audited
// ("logs.ingest.reject", failure) without their content.
//
// Thread safety: Handle may run concurrently; everything passed in must
// outlive the handler.
#ifndef KURA_LOGS_INGEST_HTTP_INGEST_H_
#define KURA_LOGS_INGEST_HTTP_INGEST_H_

#include <string>
#include <string_view>

#include "core/audit/audit_log.h"
#include "core/auth/authenticator.h"
#include "core/base/clock.h"
#include "core/http/router.h"
#include "logs/ingest/ingestor.h"

namespace kura::logs {

inline constexpr std::string_view kLogsWriteScope = "logs:write";
inline constexpr size_t kMaxRejectedListed = 100;

class HttpIngest {
 public:
  // `audit` may be null (no audit events).
  HttpIngest(Ingestor& ingestor, const auth::Authenticator& authenticator, const Clock& clock,
             AuditLog* audit, std::string node_id);
  HttpIngest(const HttpIngest&) = delete;
  HttpIngest& operator=(const HttpIngest&) = delete;

  // Adds POST /v1/events (guarded by scope logs:write).
  void RegisterRoutes(http::Router& router);

  // The handler behind the guard.
  http::HttpResponse Handle(const http::HttpRequest& request, const auth::Principal& who);

 private:
  Ingestor& ingestor_;
  const auth::Authenticator& authenticator_;
  const Clock& clock_;
  AuditLog* const audit_;
  const std::string node_id_;
};

}  // namespace kura::logs

#endif  // KURA_LOGS_INGEST_HTTP_INGEST_H_
