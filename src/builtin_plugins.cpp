// Every plug-in svckit ships, one line each. A new backend, balancer or exporter is its own file pair
// plus one line here (or, outside the library, one register_* call of its own: svckit/plugins.hpp).
#include "builtin_plugins.hpp"

#include "sd/balancers/builtin.hpp"
#include "svckit/sd/etcd/registry.hpp"
#include "svckit/sd/static_registry.hpp"
#include "svckit/trace/zipkin.hpp"

namespace svckit::detail {

void add_builtin_registries(NamedFactories<sd::RegistryFactory>& t) {
  t.add("etcd", sd::etcd::open_registry);
  t.add("static", sd::open_static_registry);
}

void add_builtin_balancers(NamedFactories<sd::BalancerFactory>& t) {
  t.add("round_robin", sd::balancers::make_round_robin);
  t.add("random", sd::balancers::make_random);
  t.add("p2c", sd::balancers::make_p2c);
  t.add("weighted", sd::balancers::make_weighted);
  t.add("consistent_hash", sd::balancers::make_consistent_hash);
}

void add_builtin_exporters(NamedFactories<trace::ExporterFactory>& t) {
  t.add("zipkin", {.make = [](std::string_view url) { return std::make_shared<trace::ZipkinExporter>(url); },
                   .url_error = trace::zipkin_url_error});
}

}  // namespace svckit::detail
