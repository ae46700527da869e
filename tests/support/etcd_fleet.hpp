// Test support for fleet tests: a 3-member etcd cluster whose members live on hosts of their own (network
// namespaces, support/netns.hpp), on two networks: clients reach the members on one, the members talk to
// each other on the other, so a member can be cut off from its peers and still answer its clients, or be
// cut off from everything.
//
//   svckit::test::EtcdFleet fleet;                 // healthy when the constructor returns
//   auto client = Client::create({.endpoints = fleet.cluster->endpoints()});
//   fleet.hosts[0]->cut(fleet.peers);              // partitioned: answers, without a leader
//
// Needs root, like everything in netns.hpp.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "support/etcd.hpp"
#include "support/netns.hpp"

namespace svckit::test {

struct EtcdFleet {
  VirtualNetwork clients, peers;
  std::vector<std::unique_ptr<NetHost>> hosts;  // hosts[i] runs member i
  std::unique_ptr<EtcdCluster> cluster;

  explicit EtcdFleet(int members = 3) {
    std::vector<EtcdPlacement> where;
    for (int i = 0; i < members; ++i) {
      auto& h = *hosts.emplace_back(std::make_unique<NetHost>("etcd" + std::to_string(i)));
      auto client_ip = h.join(clients), peer_ip = h.join(peers);
      where.push_back({h.run({}), client_ip, peer_ip});
    }
    cluster = std::make_unique<EtcdCluster>(where);
  }
  ~EtcdFleet() { cluster.reset(); }  // the members stop before their hosts go
  EtcdFleet(const EtcdFleet&) = delete;
  EtcdFleet& operator=(const EtcdFleet&) = delete;
};

}  // namespace svckit::test
