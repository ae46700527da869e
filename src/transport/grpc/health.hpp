// Private to the gRPC transport: grpc.health.v1.Health, served on the server's own completion queues.
//
// gRPC ships a default implementation, but it runs on the callback API, whose completion queue adds two
// "nexting" threads per server that poll for I/O too: they took ~15% of the bug tracker's throughput
// (bench/RESULTS.md). This one costs nothing until someone calls it: Check is a raw unary method like any
// endpoint, Watch a raw server-streaming call whose writes happen on its queue's poller thread. The status
// and the message bytes are health_status.hpp's, shared with the own wire's health service.
#pragma once

#include <grpcpp/support/byte_buffer.h>

#include "health_status.hpp"

namespace svckit::grpc::detail::health_wire {

/// HealthCheckRequest.service from a gRPC byte buffer; nullopt when it is not a HealthCheckRequest.
std::optional<std::string> parse_request(const ::grpc::ByteBuffer& in);
::grpc::ByteBuffer response(ServingStatus status);

}  // namespace svckit::grpc::detail::health_wire
