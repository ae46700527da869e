// Private to the gRPC transport: grpc.health.v1.Health, served on the server's own completion queues.
//
// gRPC ships a default implementation, but it runs on the callback API, whose completion queue adds two
// "nexting" threads per server that poll for I/O too: they took ~15% of the bug tracker's throughput
// (bench/RESULTS.md). This one costs nothing until someone calls it: Check is a raw unary method like any
// endpoint, Watch a raw server-streaming call whose writes happen on its queue's poller thread.
#pragma once

#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include <grpcpp/support/byte_buffer.h>

namespace svckit::grpc::detail {

/// The wire format of the two health messages (field 1 of each), without generated code.
namespace health_wire {
enum ServingStatus { kUnknown = 0, kServing = 1, kNotServing = 2, kServiceUnknown = 3 };
/// HealthCheckRequest.service; nullopt when the bytes are not a HealthCheckRequest.
std::optional<std::string> parse_request(const ::grpc::ByteBuffer& in);
::grpc::ByteBuffer response(ServingStatus status);
}  // namespace health_wire

/// Serving status per service name ("" is the whole server). Thread-safe.
class HealthStatus {
 public:
  void declare(const std::string& name);  // NOT_SERVING until set_all(true)
  void set_all(bool serving);
  /// kServiceUnknown for a name never declared.
  health_wire::ServingStatus get(const std::string& name) const;

 private:
  mutable std::mutex mu_;
  std::map<std::string, bool> serving_;
};

}  // namespace svckit::grpc::detail
