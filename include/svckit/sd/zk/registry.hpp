// svckit/sd/zk/registry.hpp — ZooKeeper as the registry, scheme zk:// (component svckit::zk).
//
//   zk://[user:password@]host:port[,host:port…][/root][?session_timeout_ms=N]
//
// Layout (go-kit's sd/zk): each instance is an ephemeral sequential node under <root>/<service>/ (root
// /services by default), named _c_<guid>-<host:port>-<sequence>, whose data is the registry value (bare
// host:port, or the JSON object with metadata, instance.hpp). go-kit's zk clients and svckit find each other.
//
// One ZooKeeper session per registry (default timeout 10 s, `session_timeout_ms`, bounded by the servers'
// tickTime) plays the part of etcd's lease: an instance whose process dies leaves when its session expires.
// The registrar's TTL argument is not used. What failure does:
//   - connection lost (a server down, a partition): the session lives until its timeout; the client moves to
//     another server; instancers keep the last set and report the loss as their status.
//   - session expired (the process was cut off longer than the timeout): a new session is opened and every
//     registrar creates its node again; instancers read again.
//   - our node deleted by hand: created again. A malformed value: logged and skipped.
// With user:password the session authenticates (digest), and instance nodes are readable by anyone and
// writable only by those credentials; directories are open (go-kit's default ACL).
#pragma once

#include <memory>

#include "svckit/sd/registry.hpp"

namespace svckit::sd::zk {

/// The factory registered for "zk". Throws std::invalid_argument for a root that is not a ZooKeeper
/// path or an unknown query parameter.
std::shared_ptr<Registry> open_registry(const RegistryUrl& url);

}  // namespace svckit::sd::zk
