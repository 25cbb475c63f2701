// Status and Result<T>: how every Kura API reports failure.
//
// Modelled on absl::Status / absl::StatusOr. No exception crosses a core API:
// code that calls throwing libraries catches at its boundary and converts to a
// Status. Messages must never contain secrets, key material or card numbers;
// they are shown to operators and may be returned to API callers.
//
// Thread safety: Status and Result are values; distinct objects may be used
// from distinct threads without synchronisation.
#ifndef KURA_CORE_BASE_STATUS_H_
#define KURA_CORE_BASE_STATUS_H_

#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <variant>

namespace kura {

// Canonical error codes (a subset of absl::StatusCode / google.rpc.Code).
enum class StatusCode {
  kOk = 0,
  kCancelled,
  kInvalidArgument,
  kDeadlineExceeded,
  kNotFound,
  kAlreadyExists,
  kPermissionDenied,
  kResourceExhausted,
  kFailedPrecondition,
  kAborted,
  kOutOfRange,
  kUnimplemented,
  kInternal,
  kUnavailable,
  kDataLoss,
  kUnauthenticated,
};

// Stable lower_snake_case name of `code` ("invalid_argument", ...).
std::string_view StatusCodeName(StatusCode code);

class [[nodiscard]] Status {
 public:
  // An OK status.
  Status() = default;
  Status(StatusCode code, std::string message) : code_(code), message_(std::move(message)) {}

  static Status Ok() { return Status(); }

  bool ok() const { return code_ == StatusCode::kOk; }
  StatusCode code() const { return code_; }
  const std::string& message() const { return message_; }

  // "invalid_argument: message" (or "ok").
  std::string ToString() const;

  // Returns a copy whose message is "`context`: original message".
  Status WithContext(std::string_view context) const;

  // Marks a status as deliberately ignored.
  void IgnoreError() const {}

  friend bool operator==(const Status& a, const Status& b) {
    return a.code_ == b.code_ && a.message_ == b.message_;
  }

 private:
  StatusCode code_ = StatusCode::kOk;
  std::string message_;
};

inline Status OkStatus() { return Status(); }
Status CancelledError(std::string message);
Status InvalidArgumentError(std::string message);
Status DeadlineExceededError(std::string message);
Status NotFoundError(std::string message);
Status AlreadyExistsError(std::string message);
Status PermissionDeniedError(std::string message);
Status ResourceExhaustedError(std::string message);
Status FailedPreconditionError(std::string message);
Status AbortedError(std::string message);
Status OutOfRangeError(std::string message);
Status UnimplementedError(std::string message);
Status InternalError(std::string message);
Status UnavailableError(std::string message);
Status DataLossError(std::string message);
Status UnauthenticatedError(std::string message);

// Either a T or a non-OK Status. Constructing a Result from an OK Status is a
// programming error and yields an internal error instead.
template <typename T>
class [[nodiscard]] Result {
 public:
  Result(T value) : v_(std::move(value)) {}  // NOLINT: implicit by design
  Result(Status status) : v_(std::move(status)) {  // NOLINT: implicit by design
    if (std::get<Status>(v_).ok()) v_ = InternalError("Result constructed from OK status");
  }

  bool ok() const { return std::holds_alternative<T>(v_); }

  // The error, or OK when a value is held.
  Status status() const { return ok() ? Status() : std::get<Status>(v_); }

  // Precondition: ok().
  T& value() & { return std::get<T>(v_); }
  const T& value() const& { return std::get<T>(v_); }
  T&& value() && { return std::get<T>(std::move(v_)); }

  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }
  T&& operator*() && { return std::move(*this).value(); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }

  T value_or(T fallback) const& { return ok() ? value() : std::move(fallback); }

  // Replaces what the Result holds (a value or an error) with a
  // default-built T and returns it: for filling a value's fields where they
  // are, instead of building it elsewhere and moving it in (a T of many
  // strings costs a move per field).
  T& EmplaceDefault() { return v_.template emplace<T>(); }

 private:
  std::variant<T, Status> v_;
};

namespace internal {
inline Status AsStatus(const Status& s) { return s; }
template <typename T>
Status AsStatus(const Result<T>& r) {
  return r.status();
}
}  // namespace internal

}  // namespace kura

#define KURA_CONCAT_INNER_(a, b) a##b
#define KURA_CONCAT_(a, b) KURA_CONCAT_INNER_(a, b)

// Returns early from the enclosing function when `expr` (a Status or Result)
// is not OK.
#define RETURN_IF_ERROR(expr)                                          \
  do {                                                                 \
    ::kura::Status kura_status_ = ::kura::internal::AsStatus((expr)); \
    if (!kura_status_.ok()) return kura_status_;                       \
  } while (0)

// ASSIGN_OR_RETURN(auto x, MakeX()); declares/assigns from a Result or returns
// its error.
#define ASSIGN_OR_RETURN(lhs, expr) \
  ASSIGN_OR_RETURN_IMPL_(KURA_CONCAT_(kura_result_, __LINE__), lhs, expr)
#define ASSIGN_OR_RETURN_IMPL_(tmp, lhs, expr) \
  auto tmp = (expr);                           \
  if (!tmp.ok()) return tmp.status();          \
  lhs = std::move(tmp).value()

#endif  // KURA_CORE_BASE_STATUS_H_
