// consul:// joins the registry schemes when svckit::consul is linked (see sd/etcd/plugin.cpp for how it is kept).
#include "svckit/sd/consul/registry.hpp"

extern "C" {
extern const bool svckit_plugin_consul;
const bool svckit_plugin_consul = svckit::sd::register_registry("consul", svckit::sd::consul::open_registry);
}
