#include "svckit/sd/instance.hpp"

#include <stdexcept>

#include <boost/json.hpp>

#include "svckit/address.hpp"

namespace svckit::sd {

namespace json = boost::json;

namespace {

Status check_address(std::string_view key, std::string_view addr) {
  try {
    (void)split_host_port(addr);
    return {};
  } catch (const std::invalid_argument& e) {
    return invalid_argument("registry key " + std::string(key) + ": " + e.what());
  }
}

}  // namespace

Result<Instance> parse_instance(std::string_view key, std::string_view value) {
  Instance inst;
  inst.key = std::string(key);
  if (value.empty() || value.front() != '{') {  // go-kit's form: the bare address
    if (auto s = check_address(key, value); !s.ok()) return s;
    inst.address = std::string(value);
    return inst;
  }
  boost::system::error_code ec;
  json::value v = json::parse(value, ec);
  auto bad = [&](const std::string& why) {
    return invalid_argument("registry key " + std::string(key) + ": " + why);
  };
  if (ec || !v.is_object()) return bad("value is neither host:port nor a JSON object");
  const auto& obj = v.get_object();
  const auto* addr = obj.if_contains("addr");
  if (!addr || !addr->is_string()) return bad("JSON value has no string \"addr\"");
  inst.address = std::string(addr->get_string());
  if (auto s = check_address(key, inst.address); !s.ok()) return s;
  if (const auto* w = obj.if_contains("weight")) {
    if (!w->is_int64() || w->get_int64() < 1 || w->get_int64() > 1'000'000) return bad("\"weight\" must be an integer 1..1000000");
    inst.weight = static_cast<int>(w->get_int64());
  }
  auto text = [&](const char* name, std::string& out) -> Status {
    if (const auto* f = obj.if_contains(name)) {
      if (!f->is_string()) return bad(std::string("\"") + name + "\" must be a string");
      out = std::string(f->get_string());
    }
    return {};
  };
  if (auto s = text("zone", inst.zone); !s.ok()) return s;
  if (auto s = text("version", inst.version); !s.ok()) return s;
  if (auto s = text("transport", inst.transport); !s.ok()) return s;
  if (const auto* t = obj.if_contains("tls")) {
    if (!t->is_bool()) return bad("\"tls\" must be true or false");
    inst.tls = t->get_bool();
  }
  return inst;
}

std::string format_instance_value(const Instance& instance) {
  if (!instance.has_metadata()) return instance.address;
  json::object obj;
  obj["addr"] = instance.address;
  if (instance.weight != 1) obj["weight"] = instance.weight;
  if (!instance.zone.empty()) obj["zone"] = instance.zone;
  if (!instance.version.empty()) obj["version"] = instance.version;
  if (!instance.transport.empty()) obj["transport"] = instance.transport;
  if (instance.tls) obj["tls"] = true;
  return json::serialize(obj);
}

}  // namespace svckit::sd
