// svckit/sd/consul/registry.hpp — Consul as the registry, scheme consul:// (component svckit::consul).
//
//   consul://[acl:TOKEN@]host:8500[,host:8500…][?check=ttl|grpc|http][&check_path=/healthz][&wait=30s][&deregister_after=1m]
//
// Talks to a Consul agent's HTTP API, with the ACL token, when the URL's password gives one, in X-Consul-Token
// on every request. HTTPS with tls=1 (the system's CAs) or ca=/path (that CA), plus cert=/path&key=/path when
// the agent asks for a client certificate (verify_incoming). A registrar registers the instance (PUT /v1/agent/service/register;
// ID "<service>-<host:port>", Address and Port, metadata in Meta: weight, zone, version, transport, tls) with
// a health check the agent runs:
//   check=ttl (default)  a TTL check of the registrar's TTL that it passes every third of it; a process that
//                        dies stops passing and leaves the passing set when the TTL runs out
//   check=grpc           the agent calls grpc.health.v1.Health/Check on the instance every TTL/3 (what the
//                        seeds configure for a go-kit gRPC service); svckit's gRPC servers serve it
//   check=http           the agent GETs http://<debug listener>/healthz (check_path=/readyz: also out of the
//                        set while not ready or draining) every TTL/3; 2xx passes. The registrar learns that
//                        address from the runner (Instance::health_address); without a debug listener,
//                        creating the registrar throws std::invalid_argument
// and deregisters it on shutdown. A service critical for `deregister_after` (default 1m) is removed by the agent.
// If the agent forgets the service (restarted with no state: a TTL pass answers 404), it is registered again.
//
// An instancer runs blocking queries on /v1/health/service/<name>?passing (at most `wait` each, default
// 30 s), index handling as Consul's documentation asks: an index that goes backwards or is 0 resets to 0,
// errors back off (100 ms doubling to 10 s), and answers that come back at once with nothing new are
// spaced at least 50 ms apart — never a loop that hammers the agent (go-kit's #997, #1214). While the
// agent is unreachable the last set stays and the status says so. Several hosts: the next is tried when
// one fails. Entries with no usable address or a bad port are logged and skipped.
#pragma once

#include <memory>

#include "svckit/sd/registry.hpp"

namespace svckit::sd::consul {

/// The factory registered for "consul". Throws std::invalid_argument for an unknown query parameter or a
/// malformed value.
std::shared_ptr<Registry> open_registry(const RegistryUrl& url);

}  // namespace svckit::sd::consul
