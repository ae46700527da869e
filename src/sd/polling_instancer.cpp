#include "polling_instancer.hpp"

#include <atomic>
#include <mutex>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>

#include "svckit/log.hpp"

namespace svckit::sd::detail {

namespace asio = boost::asio;

namespace {
constexpr auto kBackoffFirst = std::chrono::milliseconds(100);
constexpr std::size_t kMaxSkippedLogged = 20;
}  // namespace

// The polling loop, on the client's thread. It reaches the instancer only through the gate: the loop never
// owns the instancer, so the instancer (and the client it keeps) is never released on the client's thread.
struct PollingInstancer::Loop {
  std::mutex mu;
  PollingInstancer* self = nullptr;  // null once the instancer is being destroyed
  std::atomic<bool> stopping{false};
  std::string backend;
  std::chrono::milliseconds every;
  Fetch fetch;
  asio::steady_timer timer;
  log::Logger log;

  Loop(asio::any_io_executor ex, std::string b, const std::string& service, std::chrono::milliseconds e, Fetch f)
      : backend(std::move(b)), every(e), fetch(std::move(f)), timer(std::move(ex)),
        log(log::Logger("instancer").with({{"service", service}, {"registry", backend}})) {}

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

  void apply(ParsedInstances parsed) {
    std::size_t n = 0;
    for (const auto& why : parsed.skipped)
      if (n++ < kMaxSkippedLogged) log.warn("skipping malformed registry entry", {{"error", why}});
    publish([&](PollingInstancer& i) {
      i.replace_all(std::move(parsed.instances));
      i.set_status({});
    });
  }

  static asio::awaitable<void> run(std::shared_ptr<Loop> self) {
    auto backoff = kBackoffFirst;
    bool failing = false;
    while (!self->stopping.load()) {
      auto r = co_await self->fetch();
      if (self->stopping.load()) co_return;
      if (r.ok()) {
        if (failing) self->log.info("registry readable again");
        failing = false;
        backoff = kBackoffFirst;
        self->apply(std::move(*r));
        if (!co_await self->pause(self->every)) co_return;
        continue;
      }
      if (!failing) self->log.warn("cannot read the registry; keeping the last set, retrying", {{"error", r.status().message()}});
      failing = true;
      self->publish([&](PollingInstancer& i) { i.set_status(r.status()); });
      if (!co_await self->pause(backoff)) co_return;
      backoff = std::min(backoff * 2, std::max(self->every, kBackoffFirst));
    }
  }
};

std::shared_ptr<PollingInstancer> PollingInstancer::create(asio::any_io_executor ex, std::string backend, std::string service,
                                                           std::chrono::milliseconds every, Fetch fetch, std::shared_ptr<void> keep) {
  auto p = std::make_shared<PollingInstancer>(Private{});
  p->keep_ = std::move(keep);
  p->loop_ = std::make_shared<Loop>(ex, std::move(backend), service, every, std::move(fetch));
  p->loop_->self = p.get();
  asio::co_spawn(ex, Loop::run(p->loop_), asio::detached);
  return p;
}

PollingInstancer::~PollingInstancer() {
  {
    std::lock_guard lock(loop_->mu);
    loop_->self = nullptr;
  }
  loop_->stopping = true;
  asio::post(loop_->timer.get_executor(), [l = loop_] { l->timer.cancel(); });
}

}  // namespace svckit::sd::detail
