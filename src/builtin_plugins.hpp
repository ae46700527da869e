// The plug-ins svckit ships, added to each table the first time it is used (builtin_plugins.cpp lists
// them: one line each). Private to the library.
#pragma once

#include "svckit/plugins.hpp"
#include "svckit/sd/balancer.hpp"
#include "svckit/sd/registry.hpp"
#include "svckit/trace/exporters.hpp"

namespace svckit::detail {

void add_builtin_registries(NamedFactories<sd::RegistryFactory>& table);
void add_builtin_balancers(NamedFactories<sd::BalancerFactory>& table);
void add_builtin_exporters(NamedFactories<trace::ExporterFactory>& table);

}  // namespace svckit::detail
