#include "svckit/status.hpp"

#include <array>

namespace svckit {
namespace {
constexpr std::array<std::string_view, 17> kNames = {
    "OK",        "CANCELLED",          "UNKNOWN",      "INVALID_ARGUMENT", "DEADLINE_EXCEEDED", "NOT_FOUND",
    "ALREADY_EXISTS", "PERMISSION_DENIED", "RESOURCE_EXHAUSTED", "FAILED_PRECONDITION", "ABORTED",
    "OUT_OF_RANGE", "UNIMPLEMENTED", "INTERNAL", "UNAVAILABLE", "DATA_LOSS", "UNAUTHENTICATED"};
}  // namespace

std::string_view to_string(StatusCode code) {
  auto i = static_cast<std::size_t>(code);
  return i < kNames.size() ? kNames[i] : "UNKNOWN";
}

std::optional<StatusCode> status_code_from_string(std::string_view name) {
  for (std::size_t i = 0; i < kNames.size(); ++i)
    if (kNames[i] == name) return static_cast<StatusCode>(i);
  return std::nullopt;
}

// The mapping grpc-gateway uses, so HTTP clients of svckit and of gateway-fronted gRPC services agree.
int http_status_of(StatusCode code) {
  switch (code) {
    case StatusCode::Ok: return 200;
    case StatusCode::Cancelled: return 499;
    case StatusCode::InvalidArgument:
    case StatusCode::FailedPrecondition:
    case StatusCode::OutOfRange: return 400;
    case StatusCode::DeadlineExceeded: return 504;
    case StatusCode::NotFound: return 404;
    case StatusCode::AlreadyExists:
    case StatusCode::Aborted: return 409;
    case StatusCode::PermissionDenied: return 403;
    case StatusCode::Unauthenticated: return 401;
    case StatusCode::ResourceExhausted: return 429;
    case StatusCode::Unimplemented: return 501;
    case StatusCode::Unavailable: return 503;
    case StatusCode::Unknown:
    case StatusCode::Internal:
    case StatusCode::DataLoss: return 500;
  }
  return 500;
}

StatusCode status_code_from_http(int s) {
  if (s >= 200 && s < 300) return StatusCode::Ok;
  switch (s) {
    case 400: return StatusCode::InvalidArgument;
    case 401: return StatusCode::Unauthenticated;
    case 403: return StatusCode::PermissionDenied;
    case 404: return StatusCode::NotFound;
    case 405: return StatusCode::Unimplemented;
    case 408: return StatusCode::DeadlineExceeded;
    case 409: return StatusCode::AlreadyExists;
    case 413:
    case 431: return StatusCode::OutOfRange;
    case 429: return StatusCode::ResourceExhausted;
    case 499: return StatusCode::Cancelled;
    case 501: return StatusCode::Unimplemented;
    case 502:
    case 503: return StatusCode::Unavailable;
    case 504: return StatusCode::DeadlineExceeded;
    default: break;
  }
  if (s >= 400 && s < 500) return StatusCode::FailedPrecondition;
  if (s >= 500) return StatusCode::Internal;
  return StatusCode::Unknown;
}

std::string Status::to_string() const {
  std::string out(svckit::to_string(code_));
  if (!message_.empty()) {
    out += ": ";
    out += message_;
  }
  return out;
}

std::ostream& operator<<(std::ostream& os, const Status& s) { return os << s.to_string(); }

}  // namespace svckit
