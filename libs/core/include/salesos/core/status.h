#pragma once

// Status and Result<T>: how domain code reports failure without exceptions.
// Codes are numbered as gRPC's so the rpc layer maps them one to one, and the gateway maps those
// to HTTP (DESIGN §4). A Status carries a message a person can act on and, for bad input, the
// violated fields.

#include <cassert>
#include <optional>
#include <string>
#include <utility>
#include <variant>
#include <vector>

namespace salesos {

enum class Code : int {
  kOk = 0,
  kCancelled = 1,
  kUnknown = 2,
  kInvalidArgument = 3,
  kDeadlineExceeded = 4,
  kNotFound = 5,
  kAlreadyExists = 6,
  kPermissionDenied = 7,
  kResourceExhausted = 8,
  kFailedPrecondition = 9,
  kAborted = 10,
  kOutOfRange = 11,
  kUnimplemented = 12,
  kInternal = 13,
  kUnavailable = 14,
  kDataLoss = 15,
  kUnauthenticated = 16,
};

// "INVALID_ARGUMENT" for kInvalidArgument, as gRPC spells the codes.
const char* CodeName(Code code);

struct FieldViolation {
  std::string field;        // lowerCamelCase path as the client sent it, e.g. "user.email"
  std::string description;  // what is wrong and what is expected
};

class [[nodiscard]] Status {
 public:
  Status() = default;
  Status(Code code, std::string message, std::vector<FieldViolation> violations = {})
      : code_(code), message_(std::move(message)), violations_(std::move(violations)) {}

  bool ok() const { return code_ == Code::kOk; }
  Code code() const { return code_; }
  const std::string& message() const { return message_; }
  const std::vector<FieldViolation>& violations() const { return violations_; }
  // For RESOURCE_EXHAUSTED and UNAVAILABLE: when trying again makes sense (HTTP Retry-After).
  int retry_after_seconds() const { return retry_after_seconds_; }
  Status&& WithRetryAfter(int seconds) && {
    retry_after_seconds_ = seconds;
    return std::move(*this);
  }
  std::string ToString() const;

 private:
  Code code_ = Code::kOk;
  std::string message_;
  std::vector<FieldViolation> violations_;
  int retry_after_seconds_ = 0;
};

inline Status OkStatus() { return {}; }
inline Status InvalidArgument(std::string msg) { return {Code::kInvalidArgument, std::move(msg)}; }
inline Status FieldError(std::string field, std::string description) {
  std::string msg = field + ": " + description;
  return {Code::kInvalidArgument, std::move(msg), {{std::move(field), std::move(description)}}};
}
inline Status NotFound(std::string msg) { return {Code::kNotFound, std::move(msg)}; }
inline Status AlreadyExists(std::string msg) { return {Code::kAlreadyExists, std::move(msg)}; }
inline Status PermissionDenied(std::string msg) { return {Code::kPermissionDenied, std::move(msg)}; }
inline Status Unauthenticated(std::string msg) { return {Code::kUnauthenticated, std::move(msg)}; }
inline Status FailedPrecondition(std::string msg) {
  return {Code::kFailedPrecondition, std::move(msg)};
}
// A conflict with the resource's state (HTTP 409), e.g. a stale version or an action it no longer
// allows.
inline Status Aborted(std::string msg) { return {Code::kAborted, std::move(msg)}; }
inline Status ResourceExhausted(std::string msg) {
  return {Code::kResourceExhausted, std::move(msg)};
}
inline Status Unavailable(std::string msg) { return {Code::kUnavailable, std::move(msg)}; }
inline Status Internal(std::string msg) { return {Code::kInternal, std::move(msg)}; }

// Result<T>: a value or a non-ok Status.
template <typename T>
class [[nodiscard]] Result {
 public:
  Result(T value) : v_(std::move(value)) {}  // NOLINT: implicit by design
  Result(Status status) : v_(std::move(status)) {  // NOLINT
    assert(!std::get<Status>(v_).ok() && "Result built from an ok Status");
  }

  bool ok() const { return std::holds_alternative<T>(v_); }
  explicit operator bool() const { return ok(); }
  const Status& status() const {
    static const Status kOk;
    return ok() ? kOk : std::get<Status>(v_);
  }
  T& value() & { return std::get<T>(v_); }
  const T& value() const& { return std::get<T>(v_); }
  T&& value() && { return std::get<T>(std::move(v_)); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }

 private:
  std::variant<T, Status> v_;
};

}  // namespace salesos

// Returns early from the enclosing function when `expr` (a Status) is not ok.
#define SALESOS_RETURN_IF_ERROR(expr)            \
  do {                                           \
    ::salesos::Status salesos_status_ = (expr);  \
    if (!salesos_status_.ok()) {                 \
      return salesos_status_;                    \
    }                                            \
  } while (false)

#define SALESOS_CONCAT_INNER(a, b) a##b
#define SALESOS_CONCAT(a, b) SALESOS_CONCAT_INNER(a, b)
// SALESOS_ASSIGN_OR_RETURN(auto x, FunctionReturningResult());
#define SALESOS_ASSIGN_OR_RETURN(lhs, expr)                        \
  auto SALESOS_CONCAT(salesos_result_, __LINE__) = (expr);         \
  if (!SALESOS_CONCAT(salesos_result_, __LINE__).ok()) {           \
    return SALESOS_CONCAT(salesos_result_, __LINE__).status();     \
  }                                                                \
  lhs = std::move(SALESOS_CONCAT(salesos_result_, __LINE__)).value()
