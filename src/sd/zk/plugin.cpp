// zk:// joins the registry schemes when svckit::zk is linked (see sd/etcd/plugin.cpp for how it is kept).
#include "svckit/sd/zk/registry.hpp"

extern "C" {
extern const bool svckit_plugin_zk;
const bool svckit_plugin_zk = svckit::sd::register_registry("zk", svckit::sd::zk::open_registry);
}
