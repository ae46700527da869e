#include "registrar.hpp"

#include <atomic>
#include <future>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/use_future.hpp>
#include <boost/json.hpp>

#include "health.hpp"
#include "svckit/address.hpp"
#include "svckit/log.hpp"

namespace svckit::sd::consul {

namespace asio = boost::asio;
namespace json = boost::json;

namespace {

constexpr auto kRequestTimeout = std::chrono::seconds(5);
constexpr auto kRetryFirst = std::chrono::milliseconds(200);
constexpr auto kRetryMax = std::chrono::seconds(5);

std::string seconds(std::chrono::seconds s) { return std::to_string(s.count()) + "s"; }

}  // namespace

// Shared by the handle and the coroutine that keeps the registration; the coroutine runs on the agent's thread.
struct Registrar::State {
  Agent* agent;  // outlives us: the handle holds it and stops us first
  std::string id, register_body;
  CheckKind check;
  std::chrono::seconds ttl;
  std::atomic<bool> holds{false}, stopping{false}, started{false};
  asio::steady_timer wake;
  log::Logger log;

  State(Agent* a, const std::string& service, const Instance& inst, std::chrono::seconds t, CheckOptions c)
      : agent(a), id(service + "-" + inst.address), check(c.kind), ttl(std::max(t, std::chrono::seconds(3))),
        wake(a->executor()), log(log::Logger("registrar").with({{"service", service}, {"addr", inst.address}})) {
    auto [host, port] = split_host_port(inst.address);
    json::object chk{{"CheckID", "service:" + id}, {"DeregisterCriticalServiceAfter", seconds(c.deregister_after)}};
    if (check == CheckKind::ttl) {
      chk["TTL"] = seconds(ttl);
    } else {  // the agent asks our grpc.health.v1 service
      chk["GRPC"] = inst.address;
      chk["GRPCUseTLS"] = inst.tls;
      chk["Interval"] = seconds(std::max(ttl / 3, std::chrono::seconds(1)));
      chk["Timeout"] = seconds(std::max(ttl / 3, std::chrono::seconds(1)));
    }
    json::object body{{"ID", id}, {"Name", service}, {"Address", host}, {"Port", port},
                      {"Meta", json::parse(meta_json(inst))}, {"Check", std::move(chk)}};
    register_body = json::serialize(body);
  }

  // Sleeps `d`, or less if woken (deregister); false once stopping.
  asio::awaitable<bool> pause(std::chrono::milliseconds d) {
    wake.expires_after(d);
    boost::system::error_code ec;
    co_await wake.async_wait(asio::redirect_error(asio::use_awaitable, ec));
    co_return !stopping.load();
  }

  // Registered yet? A TTL check is passed; a gRPC check is the agent's business, so we ask whether the agent
  // still knows us. Either answering 404 means the agent forgot us (restarted without state).
  asio::awaitable<Result<bool>> still_known() {
    // (Two statements, not co_await in both arms of ?: — GCC 12 miscompiles that.)
    const bool ttl_check = check == CheckKind::ttl;
    const std::string target = ttl_check ? "/v1/agent/check/pass/service:" + id : "/v1/agent/service/" + id;
    auto r = co_await agent->call(ttl_check ? http::Verb::put : http::Verb::get, target, "", kRequestTimeout);
    if (!r.ok()) co_return r.status();
    co_return r->status == 200;
  }

  static asio::awaitable<void> keep_registered(std::shared_ptr<State> self) {
    bool known = false, failing = false;
    auto retry = kRetryFirst;
    while (!self->stopping.load()) {
      if (!known) {
        auto r = co_await self->agent->call(http::Verb::put, "/v1/agent/service/register", self->register_body, kRequestTimeout);
        if (self->stopping.load()) {  // deregistered while this was in flight: take it back
          if (r.ok() && r->status == 200)
            (void)co_await self->agent->call(http::Verb::put, "/v1/agent/service/deregister/" + self->id, "", kRequestTimeout);
          break;
        }
        if (r.ok() && r->status == 200) {
          known = true;
          failing = false;
          retry = kRetryFirst;
          self->holds = true;
          self->log.info("registered", {{"id", self->id}});
          if (self->check == CheckKind::ttl) (void)co_await self->still_known();  // passing from the start
        } else {
          if (!failing)
            self->log.warn("cannot register with consul; trying again",
                           {{"error", r.ok() ? "HTTP " + std::to_string(r->status) + " " + r->body.substr(0, 200) : r.status().message()}});
          failing = true;
          if (!co_await self->pause(retry)) break;
          retry = std::min<std::chrono::milliseconds>(retry * 2, kRetryMax);
          continue;
        }
      }
      if (!co_await self->pause(std::chrono::duration_cast<std::chrono::milliseconds>(self->ttl) / 3)) break;
      auto k = co_await self->still_known();
      if (k.ok() && !*k) {
        self->log.warn("consul forgot this instance; registering again", {{"id", self->id}});
        known = false;
        self->holds = false;
      }  // unreachable: try again next round; the TTL covers a short outage
    }
  }

  static asio::awaitable<Status> withdraw(std::shared_ptr<State> self) {
    self->stopping = true;
    self->wake.cancel();
    self->holds = false;
    if (!self->started.load()) co_return Status();
    auto r = co_await self->agent->call(http::Verb::put, "/v1/agent/service/deregister/" + self->id, "", kRequestTimeout);
    if (!r.ok()) co_return r.status();
    if (r->status != 200) co_return unavailable("consul deregister: HTTP " + std::to_string(r->status));
    self->log.info("deregistered", {{"id", self->id}});
    co_return Status();
  }
};

Registrar::Registrar(std::shared_ptr<Agent> agent, std::string service, Instance instance, std::chrono::seconds ttl,
                     CheckOptions check)
    : agent_(std::move(agent)), state_(std::make_shared<State>(agent_.get(), service, instance, ttl, check)) {}

Registrar::~Registrar() {
  if (!state_->stopping.load()) asio::co_spawn(agent_->executor(), State::withdraw(state_), asio::detached);
}

void Registrar::register_instance() {
  if (state_->started.exchange(true)) return;
  asio::co_spawn(agent_->executor(), State::keep_registered(state_), asio::detached);
}

Status Registrar::deregister(std::chrono::milliseconds timeout) {
  auto done = asio::co_spawn(agent_->executor(), State::withdraw(state_), asio::use_future);
  if (done.wait_for(timeout) != std::future_status::ready)
    return deadline_exceeded("consul did not confirm the deregistration in time; the check will fail instead");
  return done.get();
}

bool Registrar::registered() const { return state_->holds.load(); }

}  // namespace svckit::sd::consul
