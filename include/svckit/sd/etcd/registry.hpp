// svckit/sd/etcd/registry.hpp — the etcd backend of sd::Registry, scheme etcd://.
//
//   etcd://[user:password@]host:port[,host:port…][/root][?format=go-micro]
//
// Layout (go-kit's etcdv3): instance keys are <root><service>/<host:port>, root defaulting to /services/;
// values as instance.hpp describes. With format=go-micro, go-micro's etcd registry instead: keys
// <root><service>/<service>-<host:port>, root defaulting to /micro/registry/, values go-micro's service JSON
// (svckit/sd/go_micro.hpp). One etcd client (one connection, failing over between the hosts) per
// opened registry, shared by every registrar and instancer made from it.
#pragma once

#include <memory>
#include <string>
#include <string_view>

#include "svckit/sd/registry.hpp"

namespace svckit::sd::etcd {

/// Whether the URL asks for go-micro's layout (?format=go-micro); throws std::invalid_argument for any
/// other query.
bool go_micro_format(const RegistryUrl& url);
/// The key root a URL names: its path, or "/services/" ("/micro/registry/" for go-micro's layout); always
/// ending in '/'.
std::string root_of(const RegistryUrl& url);
/// "<root><service>/": the prefix under which the instances of `service` are.
std::string service_prefix(std::string_view root, std::string_view service);
/// The factory registered for "etcd". Throws std::invalid_argument for a query other than format=go-micro.
std::shared_ptr<Registry> open_registry(const RegistryUrl& url);

}  // namespace svckit::sd::etcd
