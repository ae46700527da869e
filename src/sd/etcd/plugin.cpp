// etcd:// joins the registry schemes when svckit::etcd is linked. The library's link options name
// svckit_plugin_etcd (--undefined), so the linker keeps this file and runs its initialiser before main.
#include "svckit/sd/etcd/registry.hpp"

extern "C" {
extern const bool svckit_plugin_etcd;
const bool svckit_plugin_etcd = svckit::sd::register_registry("etcd", svckit::sd::etcd::open_registry);
}
