#pragma once
// Status and Result<T>: expected failures as values (network, exchange rejects, bad config,
// bad input). Exceptions from libraries are caught at adapters and turned into a Status.

#include <cassert>
#include <string>
#include <string_view>
#include <utility>
#include <variant>

namespace galfriday {

enum class StatusCode {
  kOk,
  kInvalidArgument,     // the caller's input is wrong (bad config value, malformed row)
  kNotFound,            // a named thing does not exist (file, order, instrument)
  kAlreadyExists,       // a unique key is taken
  kOutOfRange,          // a value exceeds what the type or instrument can represent
  kFailedPrecondition,  // the system is not in a state that allows this (halted, not ready)
  kUnavailable,         // a dependency is down; retrying later may succeed
  kDeadlineExceeded,    // no answer in time; the outcome is unknown
  kResourceExhausted,   // rate limit, full queue, disk full
  kPermissionDenied,    // credentials or file permissions
  kDataLoss,            // corrupt or inconsistent data (checksum mismatch, torn file)
  kInternal,            // one of our invariants broke
};

std::string_view status_code_name(StatusCode code);

class [[nodiscard]] Status {
 public:
  Status() = default;
  Status(StatusCode code, std::string message) : code_(code), message_(std::move(message)) {}

  static Status ok() { return {}; }

  bool is_ok() const { return code_ == StatusCode::kOk; }
  StatusCode code() const { return code_; }
  const std::string& message() const { return message_; }

  // "INVALID_ARGUMENT: risk.max_total_drawdown_pct: expected ..." — for logs and users.
  std::string to_string() const;

  // Returns a copy whose message is prefixed with context ("loading foo.csv: ...").
  Status with_context(std::string_view context) const;

 private:
  StatusCode code_ = StatusCode::kOk;
  std::string message_;
};

inline Status invalid_argument(std::string message) {
  return {StatusCode::kInvalidArgument, std::move(message)};
}
inline Status not_found(std::string message) { return {StatusCode::kNotFound, std::move(message)}; }
inline Status out_of_range(std::string message) {
  return {StatusCode::kOutOfRange, std::move(message)};
}
inline Status failed_precondition(std::string message) {
  return {StatusCode::kFailedPrecondition, std::move(message)};
}
inline Status unavailable(std::string message) {
  return {StatusCode::kUnavailable, std::move(message)};
}
inline Status permission_denied(std::string message) {
  return {StatusCode::kPermissionDenied, std::move(message)};
}
inline Status data_loss(std::string message) { return {StatusCode::kDataLoss, std::move(message)}; }
inline Status internal_error(std::string message) {
  return {StatusCode::kInternal, std::move(message)};
}

// Result<T> holds either a value or a non-OK Status.
template <typename T>
class [[nodiscard]] Result {
 public:
  Result(T value) : data_(std::move(value)) {}        // NOLINT(google-explicit-constructor)
  Result(Status status) : data_(std::move(status)) {  // NOLINT(google-explicit-constructor)
    assert(!std::get<Status>(data_).is_ok() && "Result needs a value or an error");
  }

  bool is_ok() const { return std::holds_alternative<T>(data_); }
  explicit operator bool() const { return is_ok(); }

  const T& value() const& {
    assert(is_ok());
    return std::get<T>(data_);
  }
  T& value() & {
    assert(is_ok());
    return std::get<T>(data_);
  }
  T&& value() && {
    assert(is_ok());
    return std::get<T>(std::move(data_));
  }
  const T& operator*() const& { return value(); }
  T& operator*() & { return value(); }
  const T* operator->() const { return &value(); }
  T* operator->() { return &value(); }

  // The error; Status::ok() when a value is held.
  Status status() const { return is_ok() ? Status::ok() : std::get<Status>(data_); }

 private:
  std::variant<T, Status> data_;
};

}  // namespace galfriday

// Propagates a non-OK Status from an expression returning Status.
#define GF_RETURN_IF_ERROR(expr)                \
  do {                                          \
    ::galfriday::Status gf_status_ = (expr);    \
    if (!gf_status_.is_ok()) return gf_status_; \
  } while (false)
