#include "registrar.hpp"

#include <boost/json.hpp>

#include "../heartbeat_registrar.hpp"
#include "../meta_fields.hpp"
#include "svckit/address.hpp"

namespace svckit::sd::consul {

namespace asio = boost::asio;
namespace json = boost::json;
using http::ApiClient;
using http::Verb;

namespace {

constexpr auto kRequestTimeout = std::chrono::seconds(5);

std::string seconds(std::chrono::seconds s) { return std::to_string(s.count()) + "s"; }

std::string http_error(const ApiClient::Reply& r) { return "consul: HTTP " + std::to_string(r.status) + " " + r.body.substr(0, 200); }

// PUT /v1/agent/service/register's body: the service with its check.
std::string register_body(const std::string& id, const std::string& service, const Instance& inst, std::chrono::seconds ttl,
                          CheckOptions c) {
  auto [host, port] = split_host_port(inst.address);
  json::object chk{{"CheckID", "service:" + id}, {"DeregisterCriticalServiceAfter", seconds(c.deregister_after)}};
  if (c.kind == CheckKind::ttl) {
    chk["TTL"] = seconds(ttl);
  } else {
    if (c.kind == CheckKind::grpc) {  // the agent asks our grpc.health.v1 service
      chk["GRPC"] = inst.address;
      chk["GRPCUseTLS"] = inst.tls;
    } else {  // the agent GETs the debug listener's /healthz (plain HTTP: the debug listener has no TLS)
      chk["HTTP"] = "http://" + inst.health_address + c.http_path;
      chk["Method"] = "GET";
    }
    chk["Interval"] = seconds(std::max(ttl / 3, std::chrono::seconds(1)));
    chk["Timeout"] = seconds(std::max(ttl / 3, std::chrono::seconds(1)));
  }
  json::object body{{"ID", id}, {"Name", service}, {"Address", host}, {"Port", port},
                    {"Meta", detail::meta_object(inst)}, {"Check", std::move(chk)}};
  return json::serialize(body);
}

}  // namespace

std::unique_ptr<sd::Registrar> make_registrar(std::shared_ptr<ApiClient> agent, const std::string& service, const Instance& inst,
                                              std::chrono::seconds ttl, CheckOptions check) {
  ttl = std::max(ttl, std::chrono::seconds(3));
  if (check.kind == CheckKind::http && inst.health_address.empty())
    throw std::invalid_argument("consul: check=http needs the instance's health address (the debug listener: --debug-addr with "
                                "svckit::App, or Instance::health_address)");
  const std::string id = service + "-" + inst.address;
  ApiClient* c = agent.get();
  // Registered yet? A TTL check is passed; a gRPC check is the agent's business, so we ask whether the agent
  // still knows us. Either answering 404 means the agent forgot us (restarted without state).
  const bool ttl_check = check.kind == CheckKind::ttl;
  auto still_known = [c, ttl_check, target = ttl_check ? "/v1/agent/check/pass/service:" + id : "/v1/agent/service/" + id]()
      -> asio::awaitable<Result<bool>> {
    auto r = co_await c->call(ttl_check ? Verb::put : Verb::get, target, "", kRequestTimeout);
    if (!r.ok()) co_return r.status();
    if (r->status != 200 && r->status != 404) co_return unavailable(http_error(*r));
    co_return r->status == 200;
  };
  detail::HeartbeatOps ops;
  ops.renew = still_known;
  ops.add = [c, ttl_check, still_known, body = register_body(id, service, inst, ttl, check)]() -> asio::awaitable<Status> {
    auto r = co_await c->call(Verb::put, "/v1/agent/service/register", body, kRequestTimeout);
    if (!r.ok()) co_return r.status();
    if (r->status != 200) co_return unavailable(http_error(*r));
    if (ttl_check) (void)co_await still_known();  // passing from the start, not after a third of the TTL
    co_return Status();
  };
  ops.remove = [c, target = "/v1/agent/service/deregister/" + id]() -> asio::awaitable<Status> {
    auto r = co_await c->call(Verb::put, target, "", kRequestTimeout);
    if (!r.ok()) co_return r.status();
    co_return r->status == 200 ? Status() : unavailable(http_error(*r));
  };
  auto ex = agent->executor();
  return std::make_unique<detail::HeartbeatRegistrar>(ex, "consul", service, inst.address,
                                                      std::chrono::duration_cast<std::chrono::milliseconds>(ttl) / 3, std::move(ops),
                                                      std::move(agent));
}

}  // namespace svckit::sd::consul
