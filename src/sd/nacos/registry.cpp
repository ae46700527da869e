#include "svckit/sd/nacos/registry.hpp"

#include <cctype>
#include <future>
#include <stdexcept>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/use_future.hpp>

#include "../../transport/http/api_client.hpp"
#include "../heartbeat_registrar.hpp"
#include "../url_query.hpp"
#include "instances.hpp"
#include "session.hpp"

namespace svckit::sd::nacos {

namespace asio = boost::asio;
using http::ApiClient;
using http::Verb;

namespace {

constexpr auto kRequestTimeout = std::chrono::seconds(5);

struct Options {
  std::string base;  // the server's context path (default /nacos)
  Scope scope;
  std::chrono::milliseconds poll{10'000};
  detail::TlsParams tls;
};

// Namespace ids, groups and clusters: letters, digits, '-', '_', '.', ':' (Nacos's own rule), 1..128 bytes.
std::string scope_name(std::string_view key, std::string_view v) {
  bool ok = !v.empty() && v.size() <= 128;
  for (unsigned char c : v) ok = ok && (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == ':');
  if (!ok) throw std::invalid_argument("nacos:// " + std::string(key) + " must be 1..128 letters, digits, '-', '_', '.' or ':'");
  return std::string(v);
}

Options options_of(const RegistryUrl& url) {
  Options o;
  o.base = detail::context_path("nacos", url.path, "/nacos");
  detail::for_each_param(url.query, [&](std::string_view key, std::string_view value) {
    if (key == "namespace")
      o.scope.namespace_id = scope_name(key, value);
    else if (key == "group")
      o.scope.group = scope_name(key, value);
    else if (key == "cluster")
      o.scope.cluster = scope_name(key, value);
    else if (key == "poll")
      o.poll = detail::duration_param("nacos", key, value, std::chrono::milliseconds(100), std::chrono::minutes(10));
    else if (!detail::tls_param("nacos", key, value, o.tls))
      throw std::invalid_argument("nacos:// takes namespace=, group=, cluster=, poll= and tls=1, ca=, cert=, key= (not \"" +
                                  std::string(key.substr(0, 64)) + "\")");
  });
  return o;
}

std::string http_error(const ApiClient::Reply& r) { return "nacos: HTTP " + std::to_string(r.status) + " " + r.body.substr(0, 200); }

class NacosRegistry final : public Registry {
 public:
  explicit NacosRegistry(const RegistryUrl& u)
      : options_(options_of(u)),
        session_(std::make_shared<Session>(std::make_shared<ApiClient>("nacos", u.hosts, ApiClient::Headers{}, detail::load_tls("nacos", options_.tls)),
                                           options_.base, u.username, u.password)) {}

  std::unique_ptr<sd::Registrar> registrar(std::string_view service, Instance inst, std::chrono::seconds ttl) override {
    detail::check_service_name("nacos", service);
    const auto timeout = std::chrono::milliseconds(std::max(ttl, std::chrono::seconds(3)));
    const auto every = timeout / 3;
    const std::string instance = options_.base + "/v1/ns/instance?";
    const std::string self = instance_query(options_.scope, service, inst);
    Session* c = session_.get();
    detail::HeartbeatOps ops;
    ops.add = [c, target = instance + registration_query(options_.scope, service, inst, every, timeout)]() -> asio::awaitable<Status> {
      auto r = co_await c->call(Verb::post, target, kRequestTimeout);
      if (!r.ok()) co_return r.status();
      co_return r->status == 200 ? Status() : unavailable(http_error(*r));
    };
    ops.renew = [c, target = options_.base + "/v1/ns/instance/beat?" + self]() -> asio::awaitable<Result<bool>> {
      auto r = co_await c->call(Verb::put, target, kRequestTimeout);
      if (!r.ok()) co_return r.status();
      if (r->status != 200) co_return unavailable(http_error(*r));
      auto known = beat_known(r->body);
      if (!known.ok()) co_return unavailable("nacos: " + known.status().message());
      co_return *known;
    };
    ops.remove = [c, target = instance + self]() -> asio::awaitable<Status> {
      auto r = co_await c->call(Verb::delete_, target, kRequestTimeout);
      if (!r.ok()) co_return r.status();
      co_return r->status == 200 ? Status() : unavailable(http_error(*r));
    };
    return std::make_unique<detail::HeartbeatRegistrar>(c->client().executor(), "nacos", std::string(service), inst.address, every,
                                                        std::move(ops), session_);
  }

  std::shared_ptr<sd::Instancer> instancer(std::string_view service) override {
    detail::check_service_name("nacos", service);
    Session* c = session_.get();
    std::string target = options_.base + "/v1/ns/instance/list?serviceName=" +
                         detail::percent_encode(options_.scope.group + "@@" + std::string(service)) +
                         "&groupName=" + detail::percent_encode(options_.scope.group) + "&healthyOnly=true";
    if (!options_.scope.namespace_id.empty()) target += "&namespaceId=" + detail::percent_encode(options_.scope.namespace_id);
    auto fetch = [c, target]() -> asio::awaitable<Result<detail::ParsedInstances>> {
      auto r = co_await c->call(Verb::get, target, kRequestTimeout);
      if (!r.ok()) co_return r.status();
      if (r->status != 200) co_return unavailable(http_error(*r));
      auto parsed = parse_instance_list(r->body);
      if (!parsed.ok()) co_return unavailable("nacos: " + parsed.status().message());
      co_return std::move(*parsed);
    };
    return detail::PollingInstancer::create(c->client().executor(), "nacos", std::string(service), options_.poll, std::move(fetch), session_);
  }

  Result<std::vector<std::string>> services(std::chrono::milliseconds timeout) override {
    std::string target = options_.base + "/v1/ns/service/list?pageNo=1&pageSize=10000&groupName=" + detail::percent_encode(options_.scope.group);
    if (!options_.scope.namespace_id.empty()) target += "&namespaceId=" + detail::percent_encode(options_.scope.namespace_id);
    auto answer = asio::co_spawn(session_->client().executor(), session_->call(Verb::get, target, timeout), asio::use_future);
    if (answer.wait_for(timeout + std::chrono::seconds(1)) != std::future_status::ready) return deadline_exceeded("nacos did not answer in time");
    auto r = answer.get();
    if (!r.ok()) return r.status();
    if (r->status != 200) return unavailable(http_error(*r));
    return parse_service_list(r->body);
  }

 private:
  Options options_;
  std::shared_ptr<Session> session_;  // holds the client
};

}  // namespace

std::shared_ptr<Registry> open_registry(const RegistryUrl& url) { return std::make_shared<NacosRegistry>(url); }

}  // namespace svckit::sd::nacos
