// Keeps one instance registered in ZooKeeper as an ephemeral sequential node under the service's
// directory (go-kit's sd/zk layout), created again whenever a new session replaces one that expired or the
// node is deleted by hand, until deregister().
#pragma once

#include <memory>
#include <string>

#include "client.hpp"
#include "svckit/sd/instance.hpp"
#include "svckit/sd/registrar.hpp"

namespace svckit::sd::zk {

class Registrar final : public sd::Registrar {
 public:
  /// `dir` is the service's directory ("/services/users").
  Registrar(std::shared_ptr<Client> client, std::string dir, Instance instance);
  ~Registrar() override;
  void register_instance() override;
  Status deregister(std::chrono::milliseconds timeout) override;
  bool registered() const override;

  struct Core;

 private:
  std::shared_ptr<Client> client_;
  std::shared_ptr<Core> core_;  // the part that works on the client's thread
};

}  // namespace svckit::sd::zk
