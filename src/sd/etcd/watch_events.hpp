// Internal: what etcd's watch responses say, turned into svckit's terms in two pure steps, so the path
// from hostile bytes (whoever can write the registry, or answer as etcd) to an instance set is testable
// and fuzzed (tests/fuzz/etcd_watch_fuzz.cpp) without a server.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "rpc.pb.h"
#include "svckit/sd/etcd/client.hpp"
#include "svckit/sd/instance.hpp"

namespace svckit::sd::etcd::detail {

/// The events of one WatchResponse (etcd's wire message), in order.
std::vector<WatchEvent> events_of(const etcdserverpb::WatchResponse& resp);

/// One event's effect on an instance set: a put parsed into an instance, a delete (or a put whose value
/// does not parse: that instance is no longer usable) removes the key. `error` says why a put was refused.
struct InstanceChange {
  std::string key;
  std::optional<Instance> instance;  // empty: removed
  std::string error;                 // non-empty: a malformed value
};
/// How a registry value becomes an instance: parse_instance (go-kit's and svckit's form) or
/// parse_go_micro_instance.
using ValueParser = Result<Instance> (*)(std::string_view key, std::string_view value);
std::vector<InstanceChange> instance_changes(const std::vector<WatchEvent>& events, ValueParser parse = &parse_instance);

}  // namespace svckit::sd::etcd::detail
