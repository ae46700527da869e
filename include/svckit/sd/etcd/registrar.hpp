// svckit/sd/etcd/registrar.hpp — registers an instance in etcd on a lease and keeps it there.
//
//   auto etcd = svckit::sd::etcd::Client::create({.endpoints = {"127.0.0.1:2379"}});
//   svckit::sd::etcd::Registrar registrar(etcd, {.key = "/services/users/10.0.0.5:8080",
//                                                .address = "10.0.0.5:8080"});
//   registrar.register_instance();
//
// The key holds the value of sd::format_instance_value (bare host:port without metadata, as go-kit writes
// it) on a lease of `ttl` kept alive over the client's shared keepalive stream. When etcd reports the lease
// gone, or the key is deleted by someone else, the registrar puts it back (with a new lease if needed),
// with jittered backoff, forever. deregister() revokes the lease: watchers see the key vanish at once.
// Destroying a registered Registrar deregisters it without waiting.
#pragma once

#include <chrono>
#include <memory>
#include <string>

#include "svckit/sd/etcd/client.hpp"
#include "svckit/sd/instance.hpp"
#include "svckit/sd/registrar.hpp"

namespace svckit::sd::etcd {

class Registrar final : public sd::Registrar {
 public:
  /// `value`: what the key holds; empty for sd::format_instance_value(instance).
  Registrar(std::shared_ptr<Client> client, Instance instance, std::chrono::seconds ttl = std::chrono::seconds(10),
            std::string value = {});
  ~Registrar() override;

  void register_instance() override;
  Status deregister(std::chrono::milliseconds timeout) override;
  bool registered() const override;

  /// The lease currently holding our key (0 if none); for tests and tools.
  std::int64_t lease() const;

  struct State;

 private:
  std::shared_ptr<Client> client_;
  std::shared_ptr<State> state_;
};

}  // namespace svckit::sd::etcd
