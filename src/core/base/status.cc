#include "core/base/status.h"

namespace kura {

std::string_view StatusCodeName(StatusCode code) {
  switch (code) {
    case StatusCode::kOk: return "ok";
    case StatusCode::kCancelled: return "cancelled";
    case StatusCode::kInvalidArgument: return "invalid_argument";
    case StatusCode::kDeadlineExceeded: return "deadline_exceeded";
    case StatusCode::kNotFound: return "not_found";
    case StatusCode::kAlreadyExists: return "already_exists";
    case StatusCode::kPermissionDenied: return "permission_denied";
    case StatusCode::kResourceExhausted: return "resource_exhausted";
    case StatusCode::kFailedPrecondition: return "failed_precondition";
    case StatusCode::kAborted: return "aborted";
    case StatusCode::kOutOfRange: return "out_of_range";
    case StatusCode::kUnimplemented: return "unimplemented";
    case StatusCode::kInternal: return "internal";
    case StatusCode::kUnavailable: return "unavailable";
    case StatusCode::kDataLoss: return "data_loss";
    case StatusCode::kUnauthenticated: return "unauthenticated";
  }
  return "unknown";
}

std::string Status::ToString() const {
  if (ok()) return "ok";
  std::string out(StatusCodeName(code_));
  out += ": ";
  out += message_;
  return out;
}

Status Status::WithContext(std::string_view context) const {
  if (ok()) return *this;
  std::string msg(context);
  msg += ": ";
  msg += message_;
  return Status(code_, std::move(msg));
}

#define KURA_DEFINE_ERROR_(Name, Code) \
  Status Name(std::string message) { return Status(StatusCode::Code, std::move(message)); }
KURA_DEFINE_ERROR_(CancelledError, kCancelled)
KURA_DEFINE_ERROR_(InvalidArgumentError, kInvalidArgument)
KURA_DEFINE_ERROR_(DeadlineExceededError, kDeadlineExceeded)
KURA_DEFINE_ERROR_(NotFoundError, kNotFound)
KURA_DEFINE_ERROR_(AlreadyExistsError, kAlreadyExists)
KURA_DEFINE_ERROR_(PermissionDeniedError, kPermissionDenied)
KURA_DEFINE_ERROR_(ResourceExhaustedError, kResourceExhausted)
KURA_DEFINE_ERROR_(FailedPreconditionError, kFailedPrecondition)
KURA_DEFINE_ERROR_(AbortedError, kAborted)
KURA_DEFINE_ERROR_(OutOfRangeError, kOutOfRange)
KURA_DEFINE_ERROR_(UnimplementedError, kUnimplemented)
KURA_DEFINE_ERROR_(InternalError, kInternal)
KURA_DEFINE_ERROR_(UnavailableError, kUnavailable)
KURA_DEFINE_ERROR_(DataLossError, kDataLoss)
KURA_DEFINE_ERROR_(UnauthenticatedError, kUnauthenticated)
#undef KURA_DEFINE_ERROR_

}  // namespace kura
