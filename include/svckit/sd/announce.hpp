// svckit/sd/announce.hpp — register a service process from its runner flags.
//
//   svckit::Runner runner(opts);                      // opts has --registry, --advertise, --register-ttl
//   auto grpc = std::make_shared<svckit::grpc::Server>(…);
//   runner.add(grpc);
//   svckit::sd::announce(runner, "notificator", [&] { return "127.0.0.1:" + std::to_string(grpc->port()); });
//   return runner.run();
//
// Once every server listens, the instance is registered (the --advertise address if given, else what
// listen_address() returns then, so port 0 works). On SIGTERM it is deregistered first — every watcher
// drops it within milliseconds — and only then do the servers drain. Without --registry this does nothing.
// With --tls-cert the entry says "tls":true (the servers are expected to use runner.server_tls()).
// With a debug listener (serve_debug) the registrar learns its address too (Instance::health_address), for
// registries whose agent checks /healthz over HTTP (consul://…?check=http).
// Throws std::invalid_argument at once for a malformed registry URL, or when the listen host is a
// wildcard (0.0.0.0, ::) and no --advertise address says what others should dial.
#pragma once

#include <functional>
#include <memory>
#include <string>

#include "svckit/runner.hpp"
#include "svckit/sd/instance.hpp"

namespace svckit::sd {

void announce(Runner& runner, std::string service, std::function<std::string()> listen_address, Instance metadata = {});

class Registry;
/// The same, in a registry already open (svckit::App passes the one its clients use); null: not registered.
void announce(Runner& runner, std::shared_ptr<Registry> registry, std::string service,
              std::function<std::string()> listen_address, Instance metadata = {});

}  // namespace svckit::sd
