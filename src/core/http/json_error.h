// JSON error bodies and the mapping from kura::Status to HTTP status codes.
//
// Every Kura service answers errors with the same shape:
//   {"error":{"code":"not_found","message":"no such card"}}
// `code` is a stable machine-readable name (StatusCodeName for statuses);
// `message` is for humans. Neither may contain secrets: messages come from
// kura::Status, which by contract never carries PANs, keys or API keys.
//
// Thread safety: free functions, safe to call concurrently.
#ifndef KURA_CORE_HTTP_JSON_ERROR_H_
#define KURA_CORE_HTTP_JSON_ERROR_H_

#include <string_view>

#include "core/base/status.h"
#include "core/http/http_types.h"

namespace kura::http {

// A response with `status`, Content-Type application/json and body exactly
// {"error":{"code":<code>,"message":<message>}} (JSON-escaped by Boost.JSON).
HttpResponse JsonError(int status, std::string_view code, std::string_view message);

// The 500 answer for a failure the caller must not see the details of (a
// throwing handler, an answer that never came): JsonError(500, "internal",
// "internal error").
HttpResponse InternalErrorResponse();

// The HTTP status for a non-OK Status:
//   invalid_argument, out_of_range   -> 400
//   unauthenticated                  -> 401
//   permission_denied                -> 403
//   not_found                        -> 404
//   already_exists, aborted,
//   failed_precondition              -> 409 (the resource's state conflicts)
//   resource_exhausted               -> 429 (rate/quota; size limits are
//                                       answered 413 by the server itself)
//   unimplemented                    -> 501
//   unavailable                      -> 503
//   deadline_exceeded                -> 504
//   anything else (internal, data_loss, cancelled, ok) -> 500
int HttpStatusFor(const Status& status);

// JsonError(HttpStatusFor(status), StatusCodeName(code), message). For 500
// responses (internal, data_loss, ...) the message is replaced by
// "internal error": internal details (paths, library errors) stay in the
// server's logs and are not handed to API callers.
HttpResponse ErrorResponse(const Status& status);

}  // namespace kura::http

#endif  // KURA_CORE_HTTP_JSON_ERROR_H_
