// svckit/transport/grpc/status.hpp — svckit::Status ⇄ grpc::Status (codes are numerically identical).
#pragma once

#include <grpcpp/support/status.h>

#include "svckit/status.hpp"

namespace svckit::grpc {

inline ::grpc::Status to_grpc(const Status& s) {
  return ::grpc::Status(static_cast<::grpc::StatusCode>(s.code()), s.message());
}
inline Status from_grpc(const ::grpc::Status& s) {
  return Status(static_cast<StatusCode>(s.error_code()), s.error_message());
}

}  // namespace svckit::grpc
