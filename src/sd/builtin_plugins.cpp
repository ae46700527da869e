// Every plug-in svckit::sd ships, one line each. A new balancer is its own file pair plus one line here; a
// registry backend with dependencies of its own is its own component that registers itself when linked
// (sd/etcd/plugin.cpp); outside the library, one register_* call of your own does (svckit/plugins.hpp).
#include "builtin_plugins.hpp"

#include "balancers/builtin.hpp"
#include "svckit/sd/dns/registry.hpp"
#include "svckit/sd/file_registry.hpp"
#include "svckit/sd/static_registry.hpp"

namespace svckit::detail {

void add_builtin_registries(NamedFactories<sd::RegistryFactory>& t) {
  t.add("static", sd::open_static_registry);
  t.add("file", sd::open_file_registry);
  t.add("dns+srv", sd::dns::open_registry);
}

void add_builtin_balancers(NamedFactories<sd::BalancerFactory>& t) {
  t.add("round_robin", sd::balancers::make_round_robin);
  t.add("random", sd::balancers::make_random);
  t.add("p2c", sd::balancers::make_p2c);
  t.add("weighted", sd::balancers::make_weighted);
  t.add("consistent_hash", sd::balancers::make_consistent_hash);
}

}  // namespace svckit::detail
