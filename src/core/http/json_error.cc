#include "core/http/json_error.h"

#include <boost/json.hpp>

namespace kura::http {

HttpResponse JsonError(int status, std::string_view code, std::string_view message) {
  boost::json::object error;
  error["code"] = code;
  error["message"] = message;
  boost::json::object root;
  root["error"] = std::move(error);
  return HttpResponse::Json(status, boost::json::serialize(root));
}

HttpResponse InternalErrorResponse() { return JsonError(500, "internal", "internal error"); }

int HttpStatusFor(const Status& status) {
  switch (status.code()) {
    case StatusCode::kInvalidArgument:
    case StatusCode::kOutOfRange:
      return 400;
    case StatusCode::kUnauthenticated:
      return 401;
    case StatusCode::kPermissionDenied:
      return 403;
    case StatusCode::kNotFound:
      return 404;
    case StatusCode::kAlreadyExists:
    case StatusCode::kAborted:
    case StatusCode::kFailedPrecondition:
      return 409;
    case StatusCode::kResourceExhausted:
      return 429;
    case StatusCode::kUnimplemented:
      return 501;
    case StatusCode::kUnavailable:
      return 503;
    case StatusCode::kDeadlineExceeded:
      return 504;
    case StatusCode::kOk:
    case StatusCode::kCancelled:
    case StatusCode::kInternal:
    case StatusCode::kDataLoss:
      return 500;
  }
  return 500;
}

HttpResponse ErrorResponse(const Status& status) {
  const int http_status = HttpStatusFor(status);
  std::string_view code = StatusCodeName(status.code());
  if (status.ok()) code = "internal";
  if (http_status == 500) return JsonError(500, code, "internal error");
  return JsonError(http_status, code, status.message());
}

}  // namespace kura::http
