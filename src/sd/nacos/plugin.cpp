// nacos:// joins the registry schemes when svckit::nacos is linked (see sd/etcd/plugin.cpp for how it is kept).
#include "svckit/sd/nacos/registry.hpp"

extern "C" {
extern const bool svckit_plugin_nacos;
const bool svckit_plugin_nacos = svckit::sd::register_registry("nacos", svckit::sd::nacos::open_registry);
}
