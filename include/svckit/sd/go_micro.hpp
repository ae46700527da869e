// svckit/sd/go_micro.hpp — go-micro's registry values, so svckit and go-micro services find each other in etcd.
//
// go-micro's etcd registry keeps one key per node, /micro/registry/<service>/<node id>, whose value is the
// JSON of its registry.Service holding that node:
//
//   {"name":"greeter","version":"1.0.0","metadata":{},"endpoints":[],
//    "nodes":[{"id":"greeter-5c4e…","address":"10.0.0.7:8080","metadata":{"protocol":"grpc","secure":"true"}}]}
//
// Read as an Instance: the node's address; the service's version; "zone", "transport" (else "protocol") and
// a positive integer "weight" from the node's metadata; "secure":"true" as tls. The etcd registry uses these
// with `etcd://…?format=go-micro` (sd/etcd/registry.hpp).
#pragma once

#include <string>
#include <string_view>

#include "svckit/result.hpp"
#include "svckit/sd/instance.hpp"

namespace svckit::sd {

/// Parses a go-micro registry value stored under `key`; the node is the one whose id is the key's last
/// segment, else the first. Errors name the key and what is wrong; never throws.
Result<Instance> parse_go_micro_instance(std::string_view key, std::string_view value);

/// The node id svckit registers an instance under in go-micro's layout: "<service>-<host:port>".
std::string go_micro_node_id(std::string_view service, const Instance& instance);

/// The value go-micro's readers expect for an instance of `service`.
std::string format_go_micro_instance(std::string_view service, const Instance& instance);

}  // namespace svckit::sd
