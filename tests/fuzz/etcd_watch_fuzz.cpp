// Fuzz target: a watch response as etcd sends it (protobuf bytes from the wire: a compromised or impostor
// etcd, or anyone who can write the watched keys) through svckit's event handling into an instance set, the
// path every discovering client runs. Bad input is skipped, never a crash, and the set always equals a
// model built from the same events: the last put of a key that parses wins, a delete or a bad put removes.
#include <cstdint>
#include <cstdlib>
#include <map>

#include "sd/etcd/watch_events.hpp"
#include "svckit/sd/instancer.hpp"

namespace {

// Exposes the instancer's protected apply() to the harness.
class FuzzInstancer : public svckit::sd::Instancer {
 public:
  void apply_changes(std::vector<svckit::sd::etcd::detail::InstanceChange> changes) {
    std::vector<Change> out;
    for (auto& c : changes) out.push_back({std::move(c.key), std::move(c.instance)});
    apply(std::move(out));
  }
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  etcdserverpb::WatchResponse resp;
  if (!resp.ParseFromArray(data, static_cast<int>(size))) return 0;
  auto events = svckit::sd::etcd::detail::events_of(resp);
  if (events.size() != static_cast<std::size_t>(resp.events_size())) std::abort();
  auto changes = svckit::sd::etcd::detail::instance_changes(events);
  if (changes.size() != events.size()) std::abort();

  for (const auto& c : changes)
    if (c.instance && (c.instance->address.empty() || c.instance->key != c.key || !c.error.empty())) std::abort();
  // The model, from the events themselves: what every watching client must end up with.
  std::map<std::string, std::string> model;  // key → address
  for (const auto& e : events) {
    auto inst = e.type == svckit::sd::etcd::WatchEvent::Type::Put ? svckit::sd::parse_instance(e.kv.key, e.kv.value)
                                                                  : svckit::Result<svckit::sd::Instance>(svckit::Status(svckit::StatusCode::NotFound, ""));
    if (inst.ok()) model[e.kv.key] = inst->address;
    else model.erase(e.kv.key);
  }
  auto instancer = std::make_shared<FuzzInstancer>();
  instancer->apply_changes(std::move(changes));
  auto got = instancer->instances();
  if (got.size() != model.size()) std::abort();
  for (const auto& i : got)
    if (auto it = model.find(i.key); it == model.end() || it->second != i.address) std::abort();
  return 0;
}
