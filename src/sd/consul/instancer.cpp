#include "instancer.hpp"

#include <atomic>
#include <charconv>
#include <mutex>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>

#include "health.hpp"
#include "svckit/log.hpp"

namespace svckit::sd::consul {

namespace asio = boost::asio;

namespace {

constexpr auto kBackoffFirst = std::chrono::milliseconds(100);
constexpr auto kBackoffMax = std::chrono::seconds(10);
// Answers that come back at once with nothing new are spaced this far apart; with index 0 (no blocking
// possible) further still.
constexpr auto kMinInterval = std::chrono::milliseconds(50);
constexpr auto kIndexZeroInterval = std::chrono::seconds(1);
constexpr std::size_t kMaxSkippedLogged = 20;

std::uint64_t index_of(std::string_view header) {
  std::uint64_t v = 0;
  auto [end, ec] = std::from_chars(header.data(), header.data() + header.size(), v);
  return ec == std::errc() && end == header.data() + header.size() ? v : 0;
}

}  // namespace

// The blocking-query loop, on the agent's thread. It reaches the instancer only through the gate: the loop
// never owns the instancer, so the instancer (and the agent it holds) is never released on the agent's thread.
struct Instancer::Loop {
  std::mutex mu;
  Instancer* self = nullptr;  // null once the instancer is being destroyed
  std::atomic<bool> stopping{false};
  http::ApiClient* agent;
  std::string service;
  std::chrono::seconds wait;
  asio::steady_timer timer;
  log::Logger log;

  Loop(http::ApiClient* a, std::string s, std::chrono::seconds w)
      : agent(a), service(std::move(s)), wait(w), timer(a->executor()), log(log::Logger("instancer").with({{"service", service}})) {}

  template <class F>
  void publish(F f) {
    std::lock_guard lock(mu);
    if (self) f(*self);
  }

  asio::awaitable<bool> pause(std::chrono::milliseconds d) {
    timer.expires_after(d);
    boost::system::error_code ec;
    co_await timer.async_wait(asio::redirect_error(asio::use_awaitable, ec));
    co_return !stopping.load();
  }

  void apply(const std::string& body) {
    auto parsed = parse_health_entries(body);
    if (!parsed.ok()) {
      log.warn("unusable answer from consul; keeping the last set", {{"error", parsed.status().message()}});
      publish([&](Instancer& i) { i.set_status(unavailable("consul: " + parsed.status().message())); });
      return;
    }
    std::size_t n = 0;
    for (const auto& why : parsed->skipped)
      if (n++ < kMaxSkippedLogged) log.warn("skipping malformed registry entry", {{"error", why}});
    publish([&](Instancer& i) {
      i.replace_all(std::move(parsed->instances));
      i.set_status({});
    });
  }

  static asio::awaitable<void> run(std::shared_ptr<Loop> self) {
    std::uint64_t index = 0;
    auto backoff = kBackoffFirst;
    bool failing = false;
    const std::string base = "/v1/health/service/" + self->service + "?passing=1&wait=" + std::to_string(self->wait.count()) + "s&index=";
    while (!self->stopping.load()) {
      const auto asked = std::chrono::steady_clock::now();
      auto r = co_await self->agent->call(http::Verb::get, base + std::to_string(index), "",
                                          std::chrono::duration_cast<std::chrono::milliseconds>(self->wait) + std::chrono::seconds(10));
      if (self->stopping.load()) co_return;
      if (!r.ok() || r->status != 200) {
        Status why = r.ok() ? unavailable("consul: HTTP " + std::to_string(r->status) + " " + r->body.substr(0, 200)) : r.status();
        if (!failing) self->log.warn("cannot read consul; keeping the last set, retrying", {{"error", why.message()}});
        failing = true;
        self->publish([&](Instancer& i) { i.set_status(why); });
        if (!co_await self->pause(backoff)) co_return;
        backoff = std::min<std::chrono::milliseconds>(backoff * 2, kBackoffMax);
        index = 0;  // after an error, start from a full answer
        continue;
      }
      if (failing) self->log.info("consul readable again");
      failing = false;
      backoff = kBackoffFirst;
      const std::string header(r->headers["X-Consul-Index"]);
      std::uint64_t next = index_of(header);
      if (next < index) self->log.warn("consul's index went backwards; starting over", {{"was", std::to_string(index)}, {"now", header}});
      if (next < index || next == 0) next = 0;  // Consul's rules: reset, never block on a bad index
      self->apply(r->body);
      // Never hammer: an answer that came back at once with nothing new waits a little before the next question.
      const auto took = std::chrono::steady_clock::now() - asked;
      const auto least = next == 0 ? std::chrono::milliseconds(kIndexZeroInterval) : (next == index ? kMinInterval : std::chrono::milliseconds(0));
      if (took < least && !co_await self->pause(std::chrono::duration_cast<std::chrono::milliseconds>(least - took))) co_return;
      index = next;
    }
  }
};

std::shared_ptr<Instancer> Instancer::create(std::shared_ptr<http::ApiClient> agent, std::string service, std::chrono::seconds wait) {
  auto p = std::make_shared<Instancer>(Private{}, std::move(agent));
  p->loop_ = std::make_shared<Loop>(p->agent_.get(), std::move(service), wait);
  p->loop_->self = p.get();
  asio::co_spawn(p->agent_->executor(), Loop::run(p->loop_), asio::detached);
  return p;
}

Instancer::Instancer(Private, std::shared_ptr<http::ApiClient> agent) : agent_(std::move(agent)) {}

Instancer::~Instancer() {
  {
    std::lock_guard lock(loop_->mu);
    loop_->self = nullptr;
  }
  loop_->stopping = true;
  asio::post(agent_->executor(), [l = loop_] { l->timer.cancel(); });
}

}  // namespace svckit::sd::consul
