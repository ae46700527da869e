// svckit/status.hpp — the error type that crosses every endpoint boundary.
//
// A Status is a code and a message. Codes are numerically identical to gRPC's status codes, so the gRPC
// transport converts with a cast; the HTTP transport maps them to HTTP statuses and back (see
// http_status_of / status_code_from_http). Status is a plain value type: copyable, thread-compatible.
#pragma once

#include <chrono>
#include <optional>
#include <ostream>
#include <string>
#include <string_view>

namespace svckit {

enum class StatusCode : int {
  Ok = 0,
  Cancelled = 1,
  Unknown = 2,
  InvalidArgument = 3,
  DeadlineExceeded = 4,
  NotFound = 5,
  AlreadyExists = 6,
  PermissionDenied = 7,
  ResourceExhausted = 8,
  FailedPrecondition = 9,
  Aborted = 10,
  OutOfRange = 11,
  Unimplemented = 12,
  Internal = 13,
  Unavailable = 14,
  DataLoss = 15,
  Unauthenticated = 16,
};

/// The canonical upper-case name, as gRPC spells it: "INVALID_ARGUMENT".
std::string_view to_string(StatusCode code);
/// Parses a canonical name back; nullopt for anything else.
std::optional<StatusCode> status_code_from_string(std::string_view name);
/// The HTTP status a server answers with for this code (InvalidArgument → 400, NotFound → 404, …).
int http_status_of(StatusCode code);
/// The code a client reports for an HTTP status when the body carries no svckit error.
StatusCode status_code_from_http(int http_status);

class [[nodiscard]] Status {
 public:
  Status() = default;  // OK
  Status(StatusCode code, std::string message) : code_(code), message_(std::move(message)) {}

  bool ok() const { return code_ == StatusCode::Ok; }
  StatusCode code() const { return code_; }
  const std::string& message() const { return message_; }
  /// "INVALID_ARGUMENT: email is required"
  std::string to_string() const;

  /// A hint for the caller: try again no sooner than this (rate limits, shed load). Travels as the HTTP
  /// Retry-After header (whole seconds, rounded up) and gRPC's grpc-retry-pushback-ms trailer.
  Status& with_retry_after(std::chrono::milliseconds after) {
    retry_after_ = after;
    return *this;
  }
  std::optional<std::chrono::milliseconds> retry_after() const { return retry_after_; }

  friend bool operator==(const Status&, const Status&) = default;

 private:
  StatusCode code_ = StatusCode::Ok;
  std::string message_;
  std::optional<std::chrono::milliseconds> retry_after_;
};

std::ostream& operator<<(std::ostream& os, const Status& s);

inline Status ok_status() { return {}; }
inline Status invalid_argument(std::string m) { return {StatusCode::InvalidArgument, std::move(m)}; }
inline Status not_found(std::string m) { return {StatusCode::NotFound, std::move(m)}; }
inline Status already_exists(std::string m) { return {StatusCode::AlreadyExists, std::move(m)}; }
inline Status unavailable(std::string m) { return {StatusCode::Unavailable, std::move(m)}; }
inline Status deadline_exceeded(std::string m) { return {StatusCode::DeadlineExceeded, std::move(m)}; }
inline Status internal_error(std::string m) { return {StatusCode::Internal, std::move(m)}; }
inline Status unauthenticated(std::string m) { return {StatusCode::Unauthenticated, std::move(m)}; }
inline Status permission_denied(std::string m) { return {StatusCode::PermissionDenied, std::move(m)}; }
inline Status unimplemented(std::string m) { return {StatusCode::Unimplemented, std::move(m)}; }
inline Status resource_exhausted(std::string m) { return {StatusCode::ResourceExhausted, std::move(m)}; }
inline Status cancelled(std::string m) { return {StatusCode::Cancelled, std::move(m)}; }

}  // namespace svckit
