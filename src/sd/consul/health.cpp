#include "health.hpp"

#include <boost/json.hpp>

#include "../meta_fields.hpp"

namespace svckit::sd::consul {

namespace json = boost::json;

namespace {

constexpr std::size_t kMaxBodyBytes = 4 << 20;
constexpr std::size_t kMaxEntries = 100'000;

// One entry as an instance, or why it cannot be one.
Result<Instance> entry_instance(const json::value& e) {
  if (!e.is_object()) return invalid_argument("entry is not an object");
  const auto* svc = e.get_object().if_contains("Service");
  if (!svc || !svc->is_object()) return invalid_argument("entry has no Service object");
  const auto& s = svc->get_object();
  std::string node;
  std::string host = detail::text_field(s, "Address");
  if (const auto* n = e.get_object().if_contains("Node"); n && n->is_object()) {
    node = detail::text_field(n->get_object(), "Node");
    if (host.empty()) host = detail::text_field(n->get_object(), "Address");
  }
  const std::string id = detail::text_field(s, "ID");
  const auto* port = s.if_contains("Port");
  if (id.empty()) return invalid_argument("Service has no ID");
  auto addr = detail::registry_address(host, port && port->is_int64() ? port->get_int64() : 0);
  if (!addr.ok()) return invalid_argument("service " + id.substr(0, 128) + ": " + addr.status().message());
  Instance inst;
  inst.key = node + "/" + id;
  inst.address = *addr;
  if (const auto* m = s.if_contains("Meta"); m && m->is_object())
    if (auto st = detail::read_meta(m->get_object(), inst); !st.ok()) return invalid_argument("service " + id.substr(0, 128) + ": " + st.message());
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

}  // namespace svckit::sd::consul
