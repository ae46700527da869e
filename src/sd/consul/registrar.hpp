// Keeps one instance registered with a Consul agent, with the health check the URL chose, until deregister().
#pragma once

#include <chrono>
#include <memory>
#include <string>

#include "agent.hpp"
#include "svckit/sd/instance.hpp"
#include "svckit/sd/registrar.hpp"

namespace svckit::sd::consul {

enum class CheckKind { ttl, grpc };

struct CheckOptions {
  CheckKind kind = CheckKind::ttl;
  std::chrono::seconds deregister_after{60};
};

class Registrar final : public sd::Registrar {
 public:
  Registrar(std::shared_ptr<Agent> agent, std::string service, Instance instance, std::chrono::seconds ttl,
            CheckOptions check);
  ~Registrar() override;
  void register_instance() override;
  Status deregister(std::chrono::milliseconds timeout) override;
  bool registered() const override;

  struct State;

 private:
  std::shared_ptr<Agent> agent_;
  std::shared_ptr<State> state_;
};

}  // namespace svckit::sd::consul
