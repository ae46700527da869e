#include "svckit/sd/consul/registry.hpp"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <future>
#include <stdexcept>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/use_future.hpp>
#include <boost/json.hpp>

#include "agent.hpp"
#include "instancer.hpp"
#include "registrar.hpp"

namespace svckit::sd::consul {

namespace {

// "30s", "1m", "500ms" → seconds (at least 1); throws std::invalid_argument.
std::chrono::seconds duration_of(std::string_view key, std::string_view v, std::chrono::seconds max) {
  std::int64_t n = 0;
  auto [end, ec] = std::from_chars(v.data(), v.data() + v.size(), n);
  std::string_view unit(end, static_cast<std::size_t>(v.data() + v.size() - end));
  std::int64_t s = unit == "s" ? n : unit == "m" ? n * 60 : -1;
  if (ec != std::errc() || s < 1 || s > max.count())
    throw std::invalid_argument("consul:// " + std::string(key) + " must be like 30s or 1m, at most " + std::to_string(max.count()) + "s");
  return std::chrono::seconds(s);
}

struct Options {
  CheckOptions check;
  std::chrono::seconds wait{30};
};

Options options_of(const RegistryUrl& url) {
  if (!url.path.empty() && url.path != "/") throw std::invalid_argument("consul:// takes no path");
  if (!url.username.empty()) throw std::invalid_argument("consul:// takes no credentials (ACL tokens are not supported yet)");
  Options o;
  std::string_view q = url.query;
  while (!q.empty()) {
    auto amp = q.find('&');
    auto kv = q.substr(0, amp);
    q = amp == std::string_view::npos ? std::string_view() : q.substr(amp + 1);
    auto eq = kv.find('=');
    auto key = kv.substr(0, eq);
    auto value = eq == std::string_view::npos ? std::string_view() : kv.substr(eq + 1);
    if (key == "check" && (value == "ttl" || value == "grpc"))
      o.check.kind = value == "ttl" ? CheckKind::ttl : CheckKind::grpc;
    else if (key == "wait")
      o.wait = duration_of(key, value, std::chrono::minutes(10));
    else if (key == "deregister_after")
      o.check.deregister_after = duration_of(key, value, std::chrono::hours(24 * 7));
    else
      throw std::invalid_argument("consul:// takes check=ttl|grpc, wait=… and deregister_after=… (not \"" +
                                  std::string(kv.substr(0, 64)) + "\")");
  }
  return o;
}

// Service names go into URL paths: the characters Consul's DNS interface allows, and dots.
void check_service(std::string_view s) {
  bool ok = !s.empty() && s.size() <= 256;
  for (unsigned char c : s) ok = ok && (std::isalnum(c) || c == '-' || c == '_' || c == '.');
  if (!ok) throw std::invalid_argument("service name \"" + std::string(s.substr(0, 64)) + "\" is not one consul:// can name");
}

class ConsulRegistry final : public Registry {
 public:
  explicit ConsulRegistry(const RegistryUrl& u) : options_(options_of(u)), agent_(std::make_shared<Agent>(u.hosts)) {}

  std::unique_ptr<sd::Registrar> registrar(std::string_view service, Instance inst, std::chrono::seconds ttl) override {
    check_service(service);
    return std::make_unique<Registrar>(agent_, std::string(service), std::move(inst), ttl, options_.check);
  }
  std::shared_ptr<sd::Instancer> instancer(std::string_view service) override {
    check_service(service);
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
  std::shared_ptr<Agent> agent_;
};

}  // namespace

std::shared_ptr<Registry> open_registry(const RegistryUrl& url) { return std::make_shared<ConsulRegistry>(url); }

}  // namespace svckit::sd::consul
