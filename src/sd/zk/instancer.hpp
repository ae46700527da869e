// The instances of one service in ZooKeeper: the children of its directory, each node's data a registry
// value (instance.hpp). A child watch re-armed on every read follows adds and removes; a missing directory
// is an empty set watched until it appears; while the connection is lost, the last set stays and the
// status says so.
#pragma once

#include <memory>
#include <string>

#include "client.hpp"
#include "svckit/sd/instancer.hpp"

namespace svckit::sd::zk {

class Instancer final : public sd::Instancer {
 public:
  struct Core;
  struct Gate;
  struct Private {};
  static std::shared_ptr<Instancer> create(std::shared_ptr<Client> client, std::string dir);
  Instancer(Private, std::shared_ptr<Client> client);
  ~Instancer() override;

 private:
  friend struct Core;
  std::shared_ptr<Client> client_;
  std::shared_ptr<Gate> gate_;  // how the client's thread reaches this object while it lives
  std::shared_ptr<Core> core_;
};

}  // namespace svckit::sd::zk
