#include "meta_fields.hpp"

#include <cctype>
#include <charconv>

#include <boost/asio/ip/address.hpp>
#include <boost/json.hpp>

#include "svckit/address.hpp"

namespace svckit::sd::detail {

namespace json = boost::json;

std::string text_field(const json::object& o, std::string_view name) {
  const auto* v = o.if_contains(name);
  return v && v->is_string() ? std::string(v->get_string()) : std::string();
}

Result<json::object> parse_json_object(std::string_view body, std::string_view what) {
  if (body.size() > (4u << 20)) return invalid_argument(std::string(what) + " larger than 4 MiB");
  json::parse_options opts;
  opts.max_depth = 32;
  boost::system::error_code ec;
  json::value v = json::parse(body, ec, {}, opts);
  if (ec || !v.is_object()) return invalid_argument(std::string(what) + " is not a JSON object");
  return std::move(v.get_object());
}

json::object meta_object(const Instance& instance) {
  json::object meta;
  if (instance.weight != 1) meta["weight"] = std::to_string(instance.weight);
  if (!instance.zone.empty()) meta["zone"] = instance.zone;
  if (!instance.version.empty()) meta["version"] = instance.version;
  if (!instance.transport.empty()) meta["transport"] = instance.transport;
  if (instance.tls) meta["tls"] = "true";
  return meta;
}

Status read_meta(const json::object& meta, Instance& inst) {
  inst.zone = text_field(meta, "zone");
  inst.version = text_field(meta, "version");
  inst.transport = text_field(meta, "transport");
  inst.tls = text_field(meta, "tls") == "true";
  if (auto w = text_field(meta, "weight"); !w.empty()) {
    int weight = 0;
    auto [end, ec] = std::from_chars(w.data(), w.data() + w.size(), weight);
    if (ec != std::errc() || end != w.data() + w.size() || weight < 1 || weight > 1'000'000)
      return invalid_argument("metadata weight is not 1..1000000");
    inst.weight = weight;
  }
  return {};
}

Result<std::string> registry_address(std::string_view host, std::int64_t port) {
  if (port < 1 || port > 65535) return invalid_argument("port is not 1..65535");
  if (host.empty()) return invalid_argument("no address");
  boost::system::error_code ec;
  (void)boost::asio::ip::make_address(host, ec);
  bool name_ok = host.size() <= 253;
  for (unsigned char c : host) name_ok = name_ok && (std::isalnum(c) || c == '-' || c == '.');
  if (ec && !name_ok) return invalid_argument("address is neither an IP address nor a host name");
  return join_host_port(host, static_cast<std::uint16_t>(port));
}

}  // namespace svckit::sd::detail
