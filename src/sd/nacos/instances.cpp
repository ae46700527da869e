#include "instances.hpp"

#include <algorithm>
#include <cmath>

#include <boost/json.hpp>

#include "../meta_fields.hpp"
#include "../url_query.hpp"
#include "svckit/address.hpp"

namespace svckit::sd::nacos {

namespace json = boost::json;
using detail::percent_encode;
using detail::text_field;

namespace {

constexpr std::size_t kMaxHosts = 100'000;
constexpr int kNacosMaxWeight = 10'000;

bool flag(const json::object& o, std::string_view name, bool otherwise) {
  const auto* v = o.if_contains(name);
  return v && v->is_bool() ? v->get_bool() : otherwise;
}

// One host of the listing, or why it cannot be one; an empty address when it is simply not serving.
Result<Instance> instance_of(const json::value& v) {
  if (!v.is_object()) return invalid_argument("host is not an object");
  const auto& o = v.get_object();
  const std::string ip = text_field(o, "ip");
  const auto* port = o.if_contains("port");
  const std::int64_t p = port && port->is_int64() ? port->get_int64() : 0;
  std::string id = text_field(o, "instanceId");
  if (id.empty()) id = ip + "#" + std::to_string(p) + "#" + text_field(o, "clusterName");
  if (id.size() > 512) return invalid_argument("instanceId longer than 512 bytes");
  auto addr = detail::registry_address(ip, p);
  if (!addr.ok()) return invalid_argument("host " + id.substr(0, 128) + ": " + addr.status().message());
  const auto* w = o.if_contains("weight");
  const double weight = w && w->is_number() ? w->to_number<double>() : 1.0;
  if (!std::isfinite(weight) || weight < 0 || weight > kNacosMaxWeight)
    return invalid_argument("host " + id.substr(0, 128) + ": weight is not 0..10000");
  if (!flag(o, "enabled", true) || !flag(o, "healthy", true) || weight == 0) return Instance{};
  Instance inst;
  inst.key = id;
  inst.address = *addr;
  if (const auto* m = o.if_contains("metadata"); m && m->is_object()) {
    json::object meta = m->get_object();
    meta.erase("weight");  // Nacos's own weight is the one
    if (auto s = detail::read_meta(meta, inst); !s.ok()) return invalid_argument("host " + id.substr(0, 128) + ": " + s.message());
  }
  inst.weight = std::clamp(static_cast<int>(std::lround(weight * 100)), 1, 1'000'000);
  return inst;
}

}  // namespace

std::string instance_query(const Scope& scope, std::string_view service, const Instance& instance) {
  auto [host, port] = split_host_port(instance.address);
  std::string q = "serviceName=" + percent_encode(scope.group + "@@" + std::string(service)) + "&groupName=" + percent_encode(scope.group);
  if (!scope.namespace_id.empty()) q += "&namespaceId=" + percent_encode(scope.namespace_id);
  q += "&clusterName=" + percent_encode(scope.cluster) + "&ip=" + percent_encode(host) + "&port=" + std::to_string(port) + "&ephemeral=true";
  return q;
}

std::string registration_query(const Scope& scope, std::string_view service, const Instance& instance,
                               std::chrono::milliseconds beat_every, std::chrono::milliseconds ttl) {
  json::object meta = detail::meta_object(instance);
  meta.erase("weight");  // sent as Nacos's weight
  meta["preserved.heart.beat.interval"] = std::to_string(beat_every.count());
  meta["preserved.heart.beat.timeout"] = std::to_string(ttl.count());
  meta["preserved.ip.delete.timeout"] = std::to_string(2 * ttl.count());
  return instance_query(scope, service, instance) + "&weight=" + std::to_string(std::min(instance.weight, kNacosMaxWeight)) +
         "&enabled=true&healthy=true&metadata=" + percent_encode(json::serialize(meta));
}

Result<detail::ParsedInstances> parse_instance_list(std::string_view body) {
  auto o = detail::parse_json_object(body, "nacos instance list");
  if (!o.ok()) return o.status();
  const auto* hosts = o->if_contains("hosts");
  if (!hosts || !hosts->is_array()) return invalid_argument("nacos instance list has no hosts array");
  if (hosts->get_array().size() > kMaxHosts) return invalid_argument("nacos instance list has more than 100000 hosts");
  detail::ParsedInstances out;
  for (const auto& h : hosts->get_array()) {
    auto inst = instance_of(h);
    if (!inst.ok())
      out.skipped.push_back(inst.status().message());
    else if (!inst->address.empty())
      out.instances.push_back(std::move(*inst));
  }
  return out;
}

Result<bool> beat_known(std::string_view body) {
  auto o = detail::parse_json_object(body, "nacos beat answer");
  if (!o.ok()) return o.status();
  const auto* code = o->if_contains("code");
  return !(code && code->is_int64() && code->get_int64() == 20404);
}

Result<LoginAnswer> parse_login(std::string_view body) {
  auto o = detail::parse_json_object(body, "nacos login answer");
  if (!o.ok()) return o.status();
  const auto* token = o->if_contains("accessToken");
  if (!token || !token->is_string() || token->get_string().empty() || token->get_string().size() > 4096)
    return invalid_argument("nacos login answer has no accessToken (a string of 1..4096 bytes)");
  LoginAnswer out{.token = std::string(token->get_string())};
  constexpr std::int64_t kYear = 365LL * 24 * 3600;
  if (const auto* ttl = o->if_contains("tokenTtl"); ttl && ttl->is_int64() && ttl->get_int64() > 0)
    out.ttl = std::chrono::seconds(std::min(ttl->get_int64(), kYear));
  return out;
}

Result<std::vector<std::string>> parse_service_list(std::string_view body) {
  auto o = detail::parse_json_object(body, "nacos service list");
  if (!o.ok()) return o.status();
  const auto* doms = o->if_contains("doms");
  if (!doms || !doms->is_array()) return invalid_argument("nacos service list has no doms array");
  std::vector<std::string> names;
  for (const auto& d : doms->get_array())
    if (d.is_string()) names.emplace_back(d.get_string());
  std::sort(names.begin(), names.end());
  return names;
}

}  // namespace svckit::sd::nacos
