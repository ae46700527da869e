// The plug-ins svckit::sd ships, added to each table the first time it is used (builtin_plugins.cpp lists
// them: one line each). Plug-ins of other components register themselves when linked (etcd's plugin.cpp).
// Private to the library.
#pragma once

#include "svckit/plugins.hpp"
#include "svckit/sd/balancer.hpp"
#include "svckit/sd/registry.hpp"

namespace svckit::detail {

void add_builtin_registries(NamedFactories<sd::RegistryFactory>& table);
void add_builtin_balancers(NamedFactories<sd::BalancerFactory>& table);

}  // namespace svckit::detail
