#include "svckit/sd/eureka/registry.hpp"

#include <future>
#include <stdexcept>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/use_future.hpp>

#include "../../codec/base64.hpp"
#include "../../transport/http/api_client.hpp"
#include "../heartbeat_registrar.hpp"
#include "../url_query.hpp"
#include "application.hpp"

namespace svckit::sd::eureka {

namespace asio = boost::asio;
using http::ApiClient;
using http::Verb;

namespace {

constexpr auto kRequestTimeout = std::chrono::seconds(5);

struct Options {
  std::string base;  // the server's context path: /eureka (Spring Cloud, the default), /eureka/v2 (Netflix)
  std::chrono::milliseconds poll{10'000};
  detail::TlsParams tls;
};

Options options_of(const RegistryUrl& url) {
  Options o;
  o.base = detail::context_path("eureka", url.path, "/eureka");
  detail::for_each_param(url.query, [&](std::string_view key, std::string_view value) {
    if (key == "poll")
      o.poll = detail::duration_param("eureka", key, value, std::chrono::milliseconds(100), std::chrono::minutes(10));
    else if (!detail::tls_param("eureka", key, value, o.tls))
      throw std::invalid_argument("eureka:// takes poll=… and tls=1, ca=, cert=, key= (not \"" + std::string(key.substr(0, 64)) + "\")");
  });
  return o;
}

ApiClient::Headers basic_auth(const RegistryUrl& url) {
  if (url.username.empty()) return {};
  return {{"Authorization", "Basic " + codec::base64_encode(url.username + ":" + url.password, codec::Base64::Standard)}};
}

std::string http_error(const ApiClient::Reply& r) { return "eureka: HTTP " + std::to_string(r.status) + " " + r.body.substr(0, 200); }

class EurekaRegistry final : public Registry {
 public:
  explicit EurekaRegistry(const RegistryUrl& u)
      : options_(options_of(u)), client_(std::make_shared<ApiClient>("eureka", u.hosts, basic_auth(u), detail::load_tls("eureka", options_.tls))) {}

  std::unique_ptr<sd::Registrar> registrar(std::string_view service, Instance inst, std::chrono::seconds ttl) override {
    detail::check_service_name("eureka", service);
    const auto duration = std::max(ttl, std::chrono::seconds(3));
    const auto renewal = std::max(duration / 3, std::chrono::seconds(1));
    const std::string app = options_.base + "/apps/" + app_name(service);
    const std::string self = app + "/" + detail::percent_encode(instance_id(service, inst));
    ApiClient* c = client_.get();
    detail::HeartbeatOps ops;
    ops.add = [c, app, body = registration_json(service, inst, renewal, duration)]() -> asio::awaitable<Status> {
      auto r = co_await c->call(Verb::post, app, body, kRequestTimeout);
      if (!r.ok()) co_return r.status();
      co_return r->status == 204 || r->status == 200 ? Status() : unavailable(http_error(*r));
    };
    ops.renew = [c, self]() -> asio::awaitable<Result<bool>> {  // a renewal answers 404 for an instance it forgot
      auto r = co_await c->call(Verb::put, self + "?status=UP", "", kRequestTimeout);
      if (!r.ok()) co_return r.status();
      if (r->status == 404) co_return false;
      if (r->status != 200) co_return unavailable(http_error(*r));
      co_return true;
    };
    ops.remove = [c, self]() -> asio::awaitable<Status> {
      auto r = co_await c->call(Verb::delete_, self, "", kRequestTimeout);
      if (!r.ok()) co_return r.status();
      co_return r->status == 200 || r->status == 404 ? Status() : unavailable(http_error(*r));
    };
    inst.key = instance_id(service, inst);
    return std::make_unique<detail::HeartbeatRegistrar>(client_->executor(), "eureka", std::string(service), inst.address,
                                                        std::chrono::duration_cast<std::chrono::milliseconds>(renewal), std::move(ops), client_);
  }

  std::shared_ptr<sd::Instancer> instancer(std::string_view service) override {
    detail::check_service_name("eureka", service);
    ApiClient* c = client_.get();
    auto fetch = [c, target = options_.base + "/apps/" + app_name(service)]() -> asio::awaitable<Result<detail::ParsedInstances>> {
      auto r = co_await c->call(Verb::get, target, "", kRequestTimeout);
      if (!r.ok()) co_return r.status();
      if (r->status == 404) co_return detail::ParsedInstances{};  // Eureka drops an application with no instances
      if (r->status != 200) co_return unavailable(http_error(*r));
      auto parsed = parse_application(r->body);
      if (!parsed.ok()) co_return unavailable("eureka: " + parsed.status().message());
      co_return std::move(*parsed);
    };
    return detail::PollingInstancer::create(client_->executor(), "eureka", std::string(service), options_.poll, std::move(fetch), client_);
  }

  Result<std::vector<std::string>> services(std::chrono::milliseconds timeout) override {
    auto answer = asio::co_spawn(client_->executor(), client_->call(Verb::get, options_.base + "/apps", "", timeout), asio::use_future);
    if (answer.wait_for(timeout + std::chrono::seconds(1)) != std::future_status::ready) return deadline_exceeded("eureka did not answer in time");
    auto r = answer.get();
    if (!r.ok()) return r.status();
    if (r->status != 200) return unavailable(http_error(*r));
    return parse_application_names(r->body);
  }

 private:
  Options options_;
  std::shared_ptr<ApiClient> client_;
};

}  // namespace

std::shared_ptr<Registry> open_registry(const RegistryUrl& url) { return std::make_shared<EurekaRegistry>(url); }

}  // namespace svckit::sd::eureka
