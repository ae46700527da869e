// Private to the gRPC transport: grpc.health.v1.Health's state and wire format, shared by both servers
// (health.hpp on gRPC's C++ library, wire/health_service.hpp on svckit's own wire). No gRPC headers here.
#pragma once

#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>

namespace svckit::grpc::detail {

/// The wire format of the two health messages (field 1 of each), without generated code.
namespace health_wire {
enum ServingStatus { kUnknown = 0, kServing = 1, kNotServing = 2, kServiceUnknown = 3 };
/// HealthCheckRequest.service; nullopt when the bytes are not a HealthCheckRequest.
std::optional<std::string> parse_request(std::string_view bytes);
/// A HealthCheckResponse's bytes.
std::string response_bytes(ServingStatus status);
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
