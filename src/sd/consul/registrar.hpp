// Keeps one instance registered with a Consul agent, with the health check the URL chose, until deregister()
// (a HeartbeatRegistrar whose renewal passes the TTL check, or asks whether the agent still knows us).
#pragma once

#include <chrono>
#include <memory>
#include <string>

#include "../../transport/http/api_client.hpp"
#include "svckit/sd/instance.hpp"
#include "svckit/sd/registrar.hpp"

namespace svckit::sd::consul {

enum class CheckKind { ttl, grpc, http };

struct CheckOptions {
  CheckKind kind = CheckKind::ttl;
  std::string http_path = "/healthz";  // check=http: the path asked on the instance's health address
  std::chrono::seconds deregister_after{60};
};

/// The registrar for `instance` of `service` (ID "<service>-<host:port>"); the TTL is at least 3 s. Throws
/// std::invalid_argument for check=http when the instance has no health_address.
std::unique_ptr<sd::Registrar> make_registrar(std::shared_ptr<http::ApiClient> agent, const std::string& service,
                                              const Instance& instance, std::chrono::seconds ttl, CheckOptions check);

}  // namespace svckit::sd::consul
