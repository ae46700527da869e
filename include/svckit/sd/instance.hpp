// svckit/sd/instance.hpp — one running instance of a service, as a registry stores it.
//
// Registry layout (docs/discovery.md, interoperable with go-kit's etcdv3 package): the key is
// `<prefix><host:port>`, the value either the bare `host:port` (go-kit's form) or a JSON object with
// metadata: {"addr":"host:port","weight":3,"zone":"eu-1","version":"1.2.0","transport":"grpc","tls":true}.
// "tls":true says the instance only speaks TLS: clients dial it with their TLS credentials (svckit/tls.hpp).
#pragma once

#include <string>
#include <string_view>

#include "svckit/result.hpp"

namespace svckit::sd {

struct Instance {
  std::string key;        // the registry key (unique per instance)
  std::string address;    // host:port to connect to
  int weight = 1;         // relative share for the weighted balancer (≥ 1)
  std::string zone;       // optional
  std::string version;    // optional
  std::string transport;  // optional: "grpc", "http"
  bool tls = false;       // the instance speaks TLS only
  // Registration only, never stored in nor read from a registry value: host:port of the instance's HTTP
  // health endpoints (/healthz, /readyz on the debug listener), for registries whose agent checks over HTTP
  // (consul://…?check=http). sd::announce sets it from the runner's debug listener.
  std::string health_address;

  bool has_metadata() const {
    return weight != 1 || !zone.empty() || !version.empty() || !transport.empty() || tls;
  }
  friend bool operator==(const Instance&, const Instance&) = default;
};

/// Parses a registry value in either form. Errors name what is wrong (never throws).
Result<Instance> parse_instance(std::string_view key, std::string_view value);

/// The value to store for an instance: bare host:port when it has no metadata (so go-kit clients read
/// it), else the JSON form.
std::string format_instance_value(const Instance& instance);

}  // namespace svckit::sd
