#include "svckit/sd/announce.hpp"

#include <stdexcept>

#include "svckit/address.hpp"
#include "svckit/sd/registry.hpp"

namespace svckit::sd {

void announce(Runner& runner, std::string service, std::function<std::string()> listen_address, Instance metadata) {
  const auto& opts = runner.options();
  if (opts.registry.empty()) return;
  auto registry = Registry::open(opts.registry);  // throws on a bad URL, before anything starts
  if (!opts.advertise.empty()) {
    (void)split_host_port(opts.advertise);  // throws on a malformed address
  }
  // A registrar created once the address is known; shared by the two hooks.
  auto registrar = std::make_shared<std::unique_ptr<Registrar>>();
  runner.on_started([&runner, registry, registrar, service, listen_address = std::move(listen_address),
                     metadata = std::move(metadata)]() mutable {
    const auto& o = runner.options();
    std::string address = o.advertise.empty() ? listen_address() : o.advertise;
    auto [host, port] = split_host_port(address);
    if (host == "0.0.0.0" || host == "::" || host.empty())
      throw std::invalid_argument("listening on " + address + ": pass --advertise host:port so others can dial us");
    metadata.address = address;
    *registrar = registry->registrar(service, std::move(metadata), o.register_ttl);
    (*registrar)->register_instance();
  });
  runner.on_shutdown([registrar, &runner] {
    if (!*registrar) return;
    auto s = (*registrar)->deregister(std::min<std::chrono::milliseconds>(runner.options().shutdown_timeout,
                                                                          std::chrono::milliseconds(3000)));
    if (!s.ok()) runner.logger().warn("deregistration failed; the lease will expire", {{"error", s.message()}});
    registrar->reset();
  });
}

}  // namespace svckit::sd
