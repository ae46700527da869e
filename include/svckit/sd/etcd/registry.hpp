// svckit/sd/etcd/registry.hpp — the etcd backend of sd::Registry, scheme etcd://.
//
//   etcd://[user:password@]host:port[,host:port…][/root]
//
// Layout (go-kit's etcdv3): instance keys are <root><service>/<host:port>, root defaulting to /services/;
// values as instance.hpp describes. One etcd client (one connection, failing over between the hosts) per
// opened registry, shared by every registrar and instancer made from it.
#pragma once

#include <memory>
#include <string>
#include <string_view>

#include "svckit/sd/registry.hpp"

namespace svckit::sd::etcd {

/// The key root a URL names: its path, or "/services/"; always ending in '/'.
std::string root_of(const RegistryUrl& url);
/// "<root><service>/": the prefix under which the instances of `service` are.
std::string service_prefix(std::string_view root, std::string_view service);
/// The factory registered for "etcd". Throws std::invalid_argument for a URL with a query.
std::shared_ptr<Registry> open_registry(const RegistryUrl& url);

}  // namespace svckit::sd::etcd
