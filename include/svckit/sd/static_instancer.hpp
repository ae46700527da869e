// svckit/sd/static_instancer.hpp — a fixed list of instances (registry URL static://h1:p1,h2:p2).
//
//   auto instancer = svckit::sd::StaticInstancer::create({"10.0.0.1:8080", "10.0.0.2:8080"});
//
// For development, tests, and deployments where addresses are known in advance. set() replaces the list
// (subscribers get the difference), e.g. from a config reload.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "svckit/sd/instancer.hpp"

namespace svckit::sd {

class StaticInstancer final : public Instancer {
 public:
  /// Each address becomes an instance whose key is the address. Throws std::invalid_argument for a
  /// malformed address.
  static std::shared_ptr<StaticInstancer> create(const std::vector<std::string>& addresses);
  static std::shared_ptr<StaticInstancer> create(std::vector<Instance> instances);
  void set(std::vector<Instance> instances) { replace_all(std::move(instances)); }
  using Instancer::set_status;
};

}  // namespace svckit::sd
