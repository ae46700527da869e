// svckit/sd/static_registry.hpp — the registry of a fixed list of addresses, scheme static://.
//
//   static://host:port[,host:port…]
//
// Every service name resolves to the same list (a StaticInstancer); registering only logs (the list is
// the URL) and counts as registered, so readiness does not wait on it. For
// development, tests, and deployments where addresses are known in advance.
#pragma once

#include <memory>

#include "svckit/sd/registry.hpp"

namespace svckit::sd {

/// The factory registered for "static". Throws std::invalid_argument for a URL with a path or a query.
std::shared_ptr<Registry> open_static_registry(const RegistryUrl& url);

}  // namespace svckit::sd
