#include "health.hpp"

#include <cctype>
#include <charconv>
#include <stdexcept>

#include <boost/asio/ip/address.hpp>
#include <boost/json.hpp>

#include "svckit/address.hpp"

namespace svckit::sd::consul {

namespace json = boost::json;

namespace {

constexpr std::size_t kMaxBodyBytes = 4 << 20;
constexpr std::size_t kMaxEntries = 100'000;

std::string text(const json::object& o, std::string_view name) {
  const auto* v = o.if_contains(name);
  return v && v->is_string() ? std::string(v->get_string()) : std::string();
}

// An IP address, or a DNS name (letters, digits, '-', '.'; at most 253 bytes).
bool valid_host(const std::string& host) {
  boost::system::error_code ec;
  (void)boost::asio::ip::make_address(host, ec);
  if (!ec) return true;
  if (host.size() > 253) return false;
  for (unsigned char c : host)
    if (!std::isalnum(c) && c != '-' && c != '.') return false;
  return true;
}

// One entry as an instance, or why it cannot be one.
Result<Instance> entry_instance(const json::value& e) {
  if (!e.is_object()) return invalid_argument("entry is not an object");
  const auto* svc = e.get_object().if_contains("Service");
  if (!svc || !svc->is_object()) return invalid_argument("entry has no Service object");
  const auto& s = svc->get_object();
  std::string node;
  std::string host = text(s, "Address");
  if (const auto* n = e.get_object().if_contains("Node"); n && n->is_object()) {
    node = text(n->get_object(), "Node");
    if (host.empty()) host = text(n->get_object(), "Address");
  }
  const std::string id = text(s, "ID");
  const auto* port = s.if_contains("Port");
  if (id.empty()) return invalid_argument("Service has no ID");
  if (!port || !port->is_int64() || port->get_int64() < 1 || port->get_int64() > 65535)
    return invalid_argument("service " + id.substr(0, 128) + ": Port is not 1..65535");
  if (host.empty()) return invalid_argument("service " + id.substr(0, 128) + ": no Address");
  if (!valid_host(host)) return invalid_argument("service " + id.substr(0, 128) + ": Address is neither an IP address nor a host name");
  Instance inst;
  inst.key = node + "/" + id;
  inst.address = host.find(':') != std::string::npos && host.front() != '[' ? "[" + host + "]:" + std::to_string(port->get_int64())
                                                                              : host + ":" + std::to_string(port->get_int64());
  try {
    (void)split_host_port(inst.address);
  } catch (const std::invalid_argument& err) {
    return invalid_argument("service " + id.substr(0, 128) + ": " + err.what());
  }
  if (const auto* m = s.if_contains("Meta"); m && m->is_object()) {
    const auto& meta = m->get_object();
    inst.zone = text(meta, "zone");
    inst.version = text(meta, "version");
    inst.transport = text(meta, "transport");
    inst.tls = text(meta, "tls") == "true";
    if (auto w = text(meta, "weight"); !w.empty()) {
      int weight = 0;
      auto [end, ec] = std::from_chars(w.data(), w.data() + w.size(), weight);
      if (ec != std::errc() || end != w.data() + w.size() || weight < 1 || weight > 1'000'000)
        return invalid_argument("service " + id.substr(0, 128) + ": Meta weight is not 1..1000000");
      inst.weight = weight;
    }
  }
  return inst;
}

}  // namespace

Result<HealthEntries> parse_health_entries(std::string_view body) {
  if (body.size() > kMaxBodyBytes) return invalid_argument("consul health answer larger than 4 MiB");
  json::parse_options opts;
  opts.max_depth = 32;
  boost::system::error_code ec;
  json::value v = json::parse(body, ec, {}, opts);
  if (ec || !v.is_array()) return invalid_argument("consul health answer is not a JSON array");
  if (v.get_array().size() > kMaxEntries) return invalid_argument("consul health answer has more than 100000 entries");
  HealthEntries out;
  for (const auto& e : v.get_array()) {
    auto inst = entry_instance(e);
    if (inst.ok())
      out.instances.push_back(std::move(*inst));
    else
      out.skipped.push_back(inst.status().message());
  }
  return out;
}

std::string meta_json(const Instance& instance) {
  json::object meta;
  if (instance.weight != 1) meta["weight"] = std::to_string(instance.weight);
  if (!instance.zone.empty()) meta["zone"] = instance.zone;
  if (!instance.version.empty()) meta["version"] = instance.version;
  if (!instance.transport.empty()) meta["transport"] = instance.transport;
  if (instance.tls) meta["tls"] = "true";
  return json::serialize(meta);
}

}  // namespace svckit::sd::consul
