#include "watch_events.hpp"

namespace svckit::sd::etcd::detail {

std::vector<WatchEvent> events_of(const etcdserverpb::WatchResponse& resp) {
  std::vector<WatchEvent> events;
  events.reserve(static_cast<std::size_t>(resp.events_size()));
  for (const auto& e : resp.events()) {
    WatchEvent ev;
    ev.type = e.type() == mvccpb::Event::DELETE ? WatchEvent::Type::Delete : WatchEvent::Type::Put;
    ev.kv = {e.kv().key(), e.kv().value(), e.kv().create_revision(), e.kv().mod_revision(), e.kv().lease()};
    events.push_back(std::move(ev));
  }
  return events;
}

std::vector<InstanceChange> instance_changes(const std::vector<WatchEvent>& events, ValueParser parse) {
  std::vector<InstanceChange> changes;
  changes.reserve(events.size());
  for (const auto& e : events) {
    if (e.type == WatchEvent::Type::Delete) {
      changes.push_back({e.kv.key, std::nullopt, {}});
      continue;
    }
    auto inst = parse(e.kv.key, e.kv.value);
    if (inst.ok())
      changes.push_back({e.kv.key, std::move(*inst), {}});
    else
      changes.push_back({e.kv.key, std::nullopt, inst.status().message()});
  }
  return changes;
}

}  // namespace svckit::sd::etcd::detail
