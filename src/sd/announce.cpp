#include "svckit/sd/announce.hpp"

#include <mutex>
#include <stdexcept>

#include "svckit/address.hpp"
#include "svckit/sd/registry.hpp"

namespace svckit::sd {

namespace {

// The debug listener's address as the registry's agent should dial it: a wildcard host (0.0.0.0, ::)
// means every interface, so the advertised host; a specific one (127.0.0.1 for an agent on the same
// machine) as it is. Empty without a debug listener.
std::string health_address_for(const std::string& listening, const std::string& advertised_host) {
  if (listening.empty()) return {};
  auto [host, port] = split_host_port(listening);
  if (host == "0.0.0.0" || host == "::" || host.empty()) host = advertised_host;
  return join_host_port(host, port);
}

}  // namespace

void announce(Runner& runner, std::string service, std::function<std::string()> listen_address, Instance metadata) {
  const auto& opts = runner.options();
  if (opts.registry.empty()) return;
  // Throws on a bad URL, before anything starts.
  announce(runner, Registry::open(opts.registry), std::move(service), std::move(listen_address), std::move(metadata));
}

void announce(Runner& runner, std::shared_ptr<Registry> registry, std::string service,
              std::function<std::string()> listen_address, Instance metadata) {
  const auto& opts = runner.options();
  if (!registry) return;
  if (!opts.advertise.empty()) {
    (void)split_host_port(opts.advertise);  // throws on a malformed address
  }
  // A registrar created once the address is known; shared by the hooks (runner thread) and the readiness
  // check (also called from /readyz on an io thread), hence the lock.
  struct Shared {
    std::mutex mu;
    std::unique_ptr<Registrar> registrar;
  };
  auto shared = std::make_shared<Shared>();
  runner.on_started([&runner, registry, shared, service, listen_address = std::move(listen_address),
                     metadata = std::move(metadata)]() mutable {
    const auto& o = runner.options();
    std::string address = o.advertise.empty() ? listen_address() : o.advertise;
    auto [host, port] = split_host_port(address);
    if (host == "0.0.0.0" || host == "::" || host.empty())
      throw std::invalid_argument("listening on " + address + ": pass --advertise host:port so others can dial us");
    metadata.address = address;
    metadata.health_address = health_address_for(runner.health_address(), host);
    if (runner.server_tls()) metadata.tls = true;  // discovered clients must dial us over TLS
    auto r = registry->registrar(service, std::move(metadata), o.register_ttl);
    r->register_instance();
    std::lock_guard lock(shared->mu);
    shared->registrar = std::move(r);
  });
  // Not ready until the registry holds our entry (and again whenever the registrar loses it).
  runner.health().add_check("registered", [shared] {
    std::lock_guard lock(shared->mu);
    return shared->registrar && shared->registrar->registered();
  });
  runner.on_shutdown([shared, &runner] {
    std::unique_ptr<Registrar> r;
    {
      std::lock_guard lock(shared->mu);
      r = std::move(shared->registrar);
    }
    if (!r) return;
    auto s = r->deregister(std::min<std::chrono::milliseconds>(runner.options().shutdown_timeout,
                                                               std::chrono::milliseconds(3000)));
    if (!s.ok()) runner.logger().warn("deregistration failed; the lease will expire", {{"error", s.message()}});
  });
}

}  // namespace svckit::sd
