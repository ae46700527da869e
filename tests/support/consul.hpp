// Test support: a Consul agent STAND-IN (tests/support/consul_standin.py: Debian has no Consul server) on a
// free loopback port. What of Consul it models, and what not, is said at the top of that script.
//
//   svckit::test::ConsulStandIn consul;
//   auto registry = svckit::sd::Registry::open(consul.url("?check=ttl"));
//   consul.stop();  consul.start();             // same port, state lost (an agent restarted afresh)
#pragma once

#include <string>
#include <vector>

#include "support/rest_standin.hpp"

namespace svckit::test {

class ConsulStandIn : public RestStandIn {
 public:
  /// args: the stand-in's options (--acl-token T).
  explicit ConsulStandIn(std::vector<std::string> args = {}) : RestStandIn("consul", std::move(args)) {}
  /// GET path on the stand-in: the response (headers and body), or "" when it is down.
  std::string get(const std::string& path) const { return http_get(port(), path); }
  /// PUT path (the stand-in's test hooks, or a registration written by hand): the response body.
  std::string put(const std::string& path, const std::string& body = "") const { return request("PUT", path, body); }
};

}  // namespace svckit::test
