// Nacos's naming API, both ways: the query of an instance svckit registers, and what /v1/ns/instance/list,
// /v1/ns/instance/beat and /v1/ns/service/list answer (pure functions: fuzzed by nacos_instances_fuzz, tested
// without a server).
#pragma once

#include <chrono>
#include <string>
#include <string_view>
#include <vector>

#include "../polling_instancer.hpp"
#include "svckit/result.hpp"
#include "svckit/sd/instance.hpp"

namespace svckit::sd::nacos {

/// Where a service lives in Nacos: namespace ("" is the public one), group and cluster.
struct Scope {
  std::string namespace_id;
  std::string group = "DEFAULT_GROUP";
  std::string cluster = "DEFAULT";
};

/// The query string (no '?') that names one instance of `service`: serviceName as "<group>@@<service>"
/// (what Nacos's own clients send), groupName, namespaceId when set, clusterName, ip, port, ephemeral=true.
std::string instance_query(const Scope& scope, std::string_view service, const Instance& instance);

/// instance_query plus what a registration carries: weight (svckit's, at most 10000), enabled, healthy, and
/// metadata — svckit's (zone, version, transport, tls) and Nacos's preserved heartbeat keys, so the server
/// marks the instance unhealthy after `ttl` without a beat and deletes it after 2 × ttl.
std::string registration_query(const Scope& scope, std::string_view service, const Instance& instance,
                               std::chrono::milliseconds beat_every, std::chrono::milliseconds ttl);

/// Reads {"hosts": [...]}: the enabled, healthy instances with a positive weight, keyed by instanceId (else
/// ip#port#cluster); the balancer's weight is Nacos's × 100, rounded (so 0.5 and 1.0 keep their ratio),
/// 1..1000000. Malformed hosts are skipped with the reason. At most 4 MiB and 100,000 hosts; an answer that is
/// not such an object is an error.
Result<detail::ParsedInstances> parse_instance_list(std::string_view body);

/// A beat's answer: false when the server does not know the instance (code 20404), true otherwise; an error
/// for an answer that is not a JSON object.
Result<bool> beat_known(std::string_view body);

/// What POST /v1/auth/login answers: {"accessToken": "...", "tokenTtl": seconds, ...}. The token is a
/// non-empty string of at most 4096 bytes, else an error; the ttl is Nacos's default (18000 s) when absent or
/// not a positive integer, and at most a year (a hostile value cannot overflow the renewal time).
struct LoginAnswer {
  std::string token;
  std::chrono::seconds ttl{18'000};
};
Result<LoginAnswer> parse_login(std::string_view body);

/// The service names of /v1/ns/service/list ({"count": n, "doms": [...]}), sorted.
Result<std::vector<std::string>> parse_service_list(std::string_view body);

}  // namespace svckit::sd::nacos
