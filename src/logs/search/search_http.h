// SearchHttp: `GET /v1/search`, the HTTPS search API for a web console
// (docs/logs.md "Search over HTTPS").
//
// Request: API key or mTLS principal with scope "logs:read"; query
// parameters (percent-encoded, each at most once):
//   q         the query (query.h; absent or empty = everything)
//   since     90d | 12h | 30m | 45s, relative to the clock (excludes from)
//   from      RFC 3339 or YYYY-MM-DD, inclusive
//   to        RFC 3339, exclusive; or YYYY-MM-DD = through the end of that day
//   limit     1..kMaxSearchLimit records (default kDefaultSearchLimit)
//   count     1/true: answer the number of matches only (0/false: records)
//   group_by  a field name: counts per value
// Any other parameter is a 400 (a typo must not silently widen a search).
//
// Responses (application/json):
//   records: 200 {"count":N,"truncated":B,"records":[<record>,...],
//                 "warnings":[...],"incomplete":B}
//            records newest first, each the stored record as a JSON object;
//   count:   200 {"count":N,"warnings":[...],"incomplete":B}
//   group_by 200 {"count":N,"group_by":F,"groups":[{"value":V,"count":C},...],
//                 "warnings":[...],"incomplete":B}   (V null = field absent)
// "incomplete" is true when a damaged segment was skipped (the CLI's exit 3;
// run `kura logs verify`).
//   400 {"error":{"code":"invalid_argument","message":...}} for a bad
//       parameter or query (the message gives the 1-based position and
//       never repeats the query);
//   401 / 403 from the auth guard; 503/500 if the search cannot be audited
//   (fail closed) or the archive cannot be read.
//
// Audit: every search the engine runs is a "logs.search" event with the
// principal's name (the API key's name) and the peer address as origin;
// a request refused for its parameters, before the engine, is audited here
// the same way (outcome failure).
//
// Thread safety: the handler may run concurrently (SearchEngine::Search is
// thread-safe). Everything passed in must outlive the routes.
#ifndef KURA_LOGS_SEARCH_SEARCH_HTTP_H_
#define KURA_LOGS_SEARCH_SEARCH_HTTP_H_

#include <string_view>

#include "core/audit/audit_log.h"
#include "core/auth/authenticator.h"
#include "core/auth/principal.h"
#include "core/base/clock.h"
#include "core/http/http_types.h"
#include "core/http/router.h"
#include "logs/search/search.h"

namespace kura::logs {

inline constexpr std::string_view kLogsReadScope = "logs:read";

class SearchHttp {
 public:
  // `audit` may be null (then only the engine's own audit events exist).
  SearchHttp(SearchEngine& engine, const auth::Authenticator& authenticator, const Clock& clock,
             AuditLog* audit);
  SearchHttp(const SearchHttp&) = delete;
  SearchHttp& operator=(const SearchHttp&) = delete;

  // Adds GET /v1/search (guarded by scope logs:read).
  void RegisterRoutes(http::Router& router);

  // The handler behind the guard.
  http::HttpResponse Handle(const http::HttpRequest& request, const auth::Principal& who);

 private:
  SearchEngine& engine_;
  const auth::Authenticator& authenticator_;
  const Clock& clock_;
  AuditLog* const audit_;
};

}  // namespace kura::logs

#endif  // KURA_LOGS_SEARCH_SEARCH_HTTP_H_
