// eureka:// joins the registry schemes when svckit::eureka is linked (see sd/etcd/plugin.cpp for how it is kept).
#include "svckit/sd/eureka/registry.hpp"

extern "C" {
extern const bool svckit_plugin_eureka;
const bool svckit_plugin_eureka = svckit::sd::register_registry("eureka", svckit::sd::eureka::open_registry);
}
