#include "svckit/sd/consul/registry.hpp"

#include <algorithm>
#include <cctype>
#include <future>
#include <stdexcept>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/use_future.hpp>
#include <boost/json.hpp>

#include "../../transport/http/api_client.hpp"
#include "../url_query.hpp"
#include "instancer.hpp"
#include "registrar.hpp"

namespace svckit::sd::consul {

namespace {

struct Options {
  CheckOptions check;
  std::chrono::seconds wait{30};
  detail::TlsParams tls;
};

// check_path=/readyz: an absolute path of URL-safe characters (it goes into the check's URL as it is).
std::string check_path(std::string_view value) {
  const bool ok = value.size() >= 1 && value.size() <= 256 && value.front() == '/' &&
                  std::all_of(value.begin(), value.end(), [](unsigned char c) {
                    return std::isalnum(c) || std::string_view("/-._~").find(static_cast<char>(c)) != std::string_view::npos;
                  });
  if (!ok) throw std::invalid_argument("consul:// check_path must be an absolute path like /readyz (letters, digits, / - . _ ~; at most 256)");
  return std::string(value);
}

Options options_of(const RegistryUrl& url) {
  if (!url.path.empty() && url.path != "/") throw std::invalid_argument("consul:// takes no path");
  Options o;
  auto secs = [](std::string_view key, std::string_view value, std::chrono::seconds most) {
    return std::chrono::duration_cast<std::chrono::seconds>(detail::duration_param("consul", key, value, std::chrono::seconds(1), most));
  };
  detail::for_each_param(url.query, [&](std::string_view key, std::string_view value) {
    if (key == "check" && (value == "ttl" || value == "grpc" || value == "http"))
      o.check.kind = value == "ttl" ? CheckKind::ttl : value == "grpc" ? CheckKind::grpc : CheckKind::http;
    else if (key == "check_path")
      o.check.http_path = check_path(value);
    else if (key == "wait")
      o.wait = secs(key, value, std::chrono::minutes(10));
    else if (key == "deregister_after")
      o.check.deregister_after = secs(key, value, std::chrono::hours(24 * 7));
    else if (!detail::tls_param("consul", key, value, o.tls))
      throw std::invalid_argument("consul:// takes check=ttl|grpc|http, check_path=/…, wait=…, deregister_after=… and tls=1, ca=, cert=, key= (not \"" +
                                  std::string(key.substr(0, 64)) + "\")");
  });
  return o;
}

// consul://acl:TOKEN@host:8500: the password is the ACL token (a password, so logs show it redacted).
http::ApiClient::Headers acl_token(const RegistryUrl& url) {
  if (url.username.empty() && url.password.empty()) return {};
  if (url.password.empty()) throw std::invalid_argument("consul:// takes its ACL token as the password: consul://acl:TOKEN@host:8500");
  for (unsigned char c : url.password)
    if (c < 0x21 || c > 0x7e) throw std::invalid_argument("consul:// ACL token has a character a header cannot carry");
  return {{"X-Consul-Token", url.password}};
}

class ConsulRegistry final : public Registry {
 public:
  explicit ConsulRegistry(const RegistryUrl& u)
      : options_(options_of(u)), agent_(std::make_shared<http::ApiClient>("consul", u.hosts, acl_token(u), detail::load_tls("consul", options_.tls))) {}

  std::unique_ptr<sd::Registrar> registrar(std::string_view service, Instance inst, std::chrono::seconds ttl) override {
    detail::check_service_name("consul", service);
    return make_registrar(agent_, std::string(service), inst, ttl, options_.check);
  }
  std::shared_ptr<sd::Instancer> instancer(std::string_view service) override {
    detail::check_service_name("consul", service);
    return Instancer::create(agent_, std::string(service), options_.wait);
  }
  Result<std::vector<std::string>> services(std::chrono::milliseconds timeout) override {
    auto answer = boost::asio::co_spawn(agent_->executor(),
                                        agent_->call(http::Verb::get, "/v1/catalog/services", "", timeout), boost::asio::use_future);
    if (answer.wait_for(timeout + std::chrono::seconds(1)) != std::future_status::ready) return deadline_exceeded("consul did not answer in time");
    auto r = answer.get();
    if (!r.ok()) return r.status();
    boost::system::error_code ec;
    auto v = boost::json::parse(r->body, ec);
    if (r->status != 200 || ec || !v.is_object()) return unavailable("consul: unusable answer to /v1/catalog/services");
    std::vector<std::string> names;
    for (const auto& kv : v.get_object()) names.emplace_back(kv.key());
    std::sort(names.begin(), names.end());
    return names;
  }

 private:
  Options options_;
  std::shared_ptr<http::ApiClient> agent_;
};

}  // namespace

std::shared_ptr<Registry> open_registry(const RegistryUrl& url) { return std::make_shared<ConsulRegistry>(url); }

}  // namespace svckit::sd::consul
