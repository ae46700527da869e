#include "application.hpp"

#include <algorithm>
#include <cctype>
#include <charconv>

#include <boost/json.hpp>

#include "../meta_fields.hpp"
#include "svckit/address.hpp"

namespace svckit::sd::eureka {

namespace json = boost::json;
using detail::text_field;

namespace {

constexpr std::size_t kMaxInstances = 100'000;

// Eureka writes one element where a list has only one (its older JSON codec): a list either way.
std::vector<const json::value*> list_of(const json::value* v) {
  std::vector<const json::value*> out;
  if (!v) return out;
  if (v->is_array())
    for (const auto& e : v->get_array()) out.push_back(&e);
  else
    out.push_back(v);
  return out;
}

// {"$": 8080, "@enabled": "true"} (numbers and booleans may come as strings): the port, 0 when not enabled.
std::int64_t enabled_port(const json::object& inst, std::string_view name) {
  const auto* p = inst.if_contains(name);
  if (!p || !p->is_object()) return 0;
  const auto& o = p->get_object();
  const auto* enabled = o.if_contains("@enabled");
  const bool on = enabled && ((enabled->is_bool() && enabled->get_bool()) || (enabled->is_string() && enabled->get_string() == "true"));
  if (!on) return 0;
  const auto* n = o.if_contains("$");
  if (n && n->is_int64()) return n->get_int64();
  if (n && n->is_string()) {
    std::int64_t v = 0;
    auto s = n->get_string();
    auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
    if (ec == std::errc() && end == s.data() + s.size()) return v;
  }
  return -1;  // enabled with no usable number
}

// One instance of the listing, or why it cannot be one; an empty address when it is simply not UP.
Result<Instance> instance_of(const json::value& v) {
  if (!v.is_object()) return invalid_argument("instance is not an object");
  const auto& o = v.get_object();
  std::string host = text_field(o, "ipAddr");
  if (host.empty()) host = text_field(o, "hostName");
  const auto secure = enabled_port(o, "securePort");
  const auto plain = enabled_port(o, "port");
  std::string id = text_field(o, "instanceId");
  if (id.empty()) id = host + ":" + std::to_string(secure > 0 ? secure : plain);
  if (id.size() > 512) return invalid_argument("instanceId longer than 512 bytes");
  if (text_field(o, "status") != "UP") return Instance{};
  auto addr = detail::registry_address(host, secure != 0 ? secure : plain);
  if (!addr.ok()) return invalid_argument("instance " + id.substr(0, 128) + ": " + addr.status().message());
  Instance inst;
  inst.key = id;
  inst.address = *addr;
  if (const auto* m = o.if_contains("metadata"); m && m->is_object())
    if (auto s = detail::read_meta(m->get_object(), inst); !s.ok()) return invalid_argument("instance " + id.substr(0, 128) + ": " + s.message());
  inst.tls = inst.tls || secure > 0;
  return inst;
}

}  // namespace

std::string app_name(std::string_view service) {
  std::string s(service);
  for (auto& c : s) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return s;
}

std::string instance_id(std::string_view service, const Instance& instance) {
  auto [host, port] = split_host_port(instance.address);
  return host + ":" + std::string(service) + ":" + std::to_string(port);
}

std::string registration_json(std::string_view service, const Instance& instance, std::chrono::seconds renewal,
                              std::chrono::seconds duration) {
  auto [host, port] = split_host_port(instance.address);
  json::object plain{{"$", port}, {"@enabled", instance.tls ? "false" : "true"}};
  json::object secure{{"$", port}, {"@enabled", instance.tls ? "true" : "false"}};
  json::object inst{
      {"instanceId", instance_id(service, instance)},
      {"hostName", host},
      {"app", app_name(service)},
      {"ipAddr", host},
      {"vipAddress", std::string(service)},
      {"secureVipAddress", std::string(service)},
      {"status", "UP"},
      {"port", std::move(plain)},
      {"securePort", std::move(secure)},
      {"dataCenterInfo", json::object{{"@class", "com.netflix.appinfo.InstanceInfo$DefaultDataCenterInfo"}, {"name", "MyOwn"}}},
      {"leaseInfo", json::object{{"renewalIntervalInSecs", renewal.count()}, {"durationInSecs", duration.count()}}},
      {"metadata", detail::meta_object(instance)},
  };
  return json::serialize(json::object{{"instance", std::move(inst)}});
}

Result<detail::ParsedInstances> parse_application(std::string_view body) {
  auto v = detail::parse_json_object(body, "eureka application");
  if (!v.ok()) return v.status();
  const auto* app = v->if_contains("application");
  if (!app || !app->is_object()) return invalid_argument("eureka answer has no application object");
  auto instances = list_of(app->get_object().if_contains("instance"));
  if (instances.size() > kMaxInstances) return invalid_argument("eureka application has more than 100000 instances");
  detail::ParsedInstances out;
  for (const auto* e : instances) {
    auto inst = instance_of(*e);
    if (!inst.ok())
      out.skipped.push_back(inst.status().message());
    else if (!inst->address.empty())
      out.instances.push_back(std::move(*inst));
  }
  return out;
}

Result<std::vector<std::string>> parse_application_names(std::string_view body) {
  auto v = detail::parse_json_object(body, "eureka applications");
  if (!v.ok()) return v.status();
  const auto* apps = v->if_contains("applications");
  if (!apps || !apps->is_object()) return invalid_argument("eureka answer has no applications object");
  std::vector<std::string> names;
  for (const auto* a : list_of(apps->get_object().if_contains("application")))
    if (a->is_object())
      if (auto n = text_field(a->get_object(), "name"); !n.empty()) names.push_back(std::move(n));
  std::sort(names.begin(), names.end());
  return names;
}

}  // namespace svckit::sd::eureka
