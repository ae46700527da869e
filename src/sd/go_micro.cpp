#include "svckit/sd/go_micro.hpp"

#include <charconv>
#include <stdexcept>

#include <boost/json.hpp>

#include "svckit/address.hpp"

namespace svckit::sd {

namespace json = boost::json;

namespace {

// A go-micro value is one service with its node(s): a few hundred bytes. Far more is not a registry value.
constexpr std::size_t kMaxValueBytes = 64 * 1024;

std::string_view last_segment(std::string_view key) {
  auto slash = key.rfind('/');
  return slash == std::string_view::npos ? key : key.substr(slash + 1);
}

// A string field of an object, or "" when absent or not a string.
std::string text(const json::object& o, std::string_view name) {
  const auto* v = o.if_contains(name);
  return v && v->is_string() ? std::string(v->get_string()) : std::string();
}

}  // namespace

Result<Instance> parse_go_micro_instance(std::string_view key, std::string_view value) {
  auto bad = [&](const std::string& why) {
    return invalid_argument("registry key " + std::string(key.substr(0, 256)) + ": not a go-micro service: " + why);
  };
  if (value.size() > kMaxValueBytes) return bad("longer than 64 KiB");
  json::parse_options opts;
  opts.max_depth = 16;
  boost::system::error_code ec;
  json::value v = json::parse(value, ec, {}, opts);
  if (ec || !v.is_object()) return bad("not a JSON object");
  const auto& service = v.get_object();
  const auto* nodes = service.if_contains("nodes");
  if (!nodes || !nodes->is_array() || nodes->get_array().empty()) return bad("no \"nodes\"");
  const json::object* node = nullptr;
  for (const auto& n : nodes->get_array())
    if (n.is_object() && (!node || text(n.get_object(), "id") == last_segment(key))) {
      node = &n.get_object();
      if (text(*node, "id") == last_segment(key)) break;
    }
  if (!node) return bad("no node object");
  Instance inst;
  inst.key = std::string(key);
  inst.address = text(*node, "address");
  try {
    (void)split_host_port(inst.address);
  } catch (const std::invalid_argument& e) {
    return bad(e.what());
  }
  inst.version = text(service, "version");
  if (const auto* m = node->if_contains("metadata"); m && m->is_object()) {
    const auto& meta = m->get_object();
    inst.zone = text(meta, "zone");
    inst.transport = text(meta, "transport");
    if (inst.transport.empty()) inst.transport = text(meta, "protocol");
    inst.tls = text(meta, "secure") == "true";
    if (auto w = text(meta, "weight"); !w.empty()) {
      int weight = 0;
      auto [end, err] = std::from_chars(w.data(), w.data() + w.size(), weight);
      if (err != std::errc() || end != w.data() + w.size() || weight < 1 || weight > 1'000'000)
        return bad("\"weight\" must be an integer 1..1000000");
      inst.weight = weight;
    }
  }
  return inst;
}

std::string go_micro_node_id(std::string_view service, const Instance& instance) {
  return std::string(service) + "-" + instance.address;
}

std::string format_go_micro_instance(std::string_view service, const Instance& instance) {
  json::object meta;
  meta["registry"] = "etcd";
  if (!instance.transport.empty()) meta["transport"] = instance.transport;
  if (!instance.transport.empty()) meta["protocol"] = instance.transport;
  if (!instance.zone.empty()) meta["zone"] = instance.zone;
  if (instance.weight != 1) meta["weight"] = std::to_string(instance.weight);
  meta["secure"] = instance.tls ? "true" : "false";
  json::object node;
  node["id"] = go_micro_node_id(service, instance);
  node["address"] = instance.address;
  node["metadata"] = std::move(meta);
  json::object out;
  out["name"] = std::string(service);
  out["version"] = instance.version.empty() ? "latest" : instance.version;
  out["metadata"] = nullptr;
  out["endpoints"] = json::array();
  out["nodes"] = json::array{std::move(node)};
  return json::serialize(out);
}

}  // namespace svckit::sd
