#include "heartbeat_registrar.hpp"

#include <atomic>
#include <future>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/use_future.hpp>

#include "svckit/log.hpp"

namespace svckit::sd::detail {

namespace asio = boost::asio;

namespace {
constexpr auto kRetryFirst = std::chrono::milliseconds(200);
constexpr auto kRetryMax = std::chrono::seconds(5);
}  // namespace

// Shared by the handle and the coroutine that keeps the registration (on the client's thread).
struct HeartbeatRegistrar::State {
  std::string backend;
  std::chrono::milliseconds every;
  HeartbeatOps ops;
  std::atomic<bool> holds{false}, stopping{false}, started{false};
  asio::steady_timer wake;
  log::Logger log;

  State(asio::any_io_executor ex, std::string b, const std::string& service, const std::string& address,
        std::chrono::milliseconds e, HeartbeatOps o)
      : backend(std::move(b)), every(e), ops(std::move(o)), wake(ex),
        log(log::Logger("registrar").with({{"service", service}, {"addr", address}, {"registry", backend}})) {}

  // Sleeps `d`, or less if woken (deregister); false once stopping.
  asio::awaitable<bool> pause(std::chrono::milliseconds d) {
    wake.expires_after(d);
    boost::system::error_code ec;
    co_await wake.async_wait(asio::redirect_error(asio::use_awaitable, ec));
    co_return !stopping.load();
  }

  // Adds the instance, retrying with back-off until it holds; false once stopping.
  asio::awaitable<bool> add_until_held() {
    auto retry = kRetryFirst;
    bool failing = false;
    for (;;) {
      Status s = co_await ops.add();
      if (stopping.load()) {  // deregistered while this was in flight: take it back
        if (s.ok()) (void)co_await ops.remove();
        co_return false;
      }
      if (s.ok()) {
        holds = true;
        log.info("registered");
        co_return true;
      }
      if (!failing) log.warn("cannot register; trying again", {{"error", s.message()}});
      failing = true;
      if (!co_await pause(retry)) co_return false;
      retry = std::min<std::chrono::milliseconds>(retry * 2, kRetryMax);
    }
  }

  static asio::awaitable<void> keep_registered(std::shared_ptr<State> self) {
    bool unreachable = false;
    while (co_await self->add_until_held()) {
      for (;;) {
        if (!co_await self->pause(self->every)) co_return;
        auto known = co_await self->ops.renew();
        if (self->stopping.load()) co_return;
        if (!known.ok()) {  // try again next round: the lease covers a short outage
          if (!unreachable) self->log.warn("cannot renew; will try again", {{"error", known.status().message()}});
          unreachable = true;
          continue;
        }
        if (unreachable) self->log.info("renewed again");
        unreachable = false;
        if (!*known) {
          self->log.warn("the registry forgot this instance; registering again");
          self->holds = false;
          break;
        }
      }
    }
  }

  static asio::awaitable<Status> withdraw(std::shared_ptr<State> self) {
    self->stopping = true;
    self->wake.cancel();
    self->holds = false;
    if (!self->started.load()) co_return Status();
    Status s = co_await self->ops.remove();
    if (s.ok()) self->log.info("deregistered");
    co_return s;
  }
};

HeartbeatRegistrar::HeartbeatRegistrar(asio::any_io_executor ex, std::string backend, std::string service, std::string address,
                                       std::chrono::milliseconds every, HeartbeatOps ops, std::shared_ptr<void> keep)
    : keep_(std::move(keep)),
      state_(std::make_shared<State>(std::move(ex), std::move(backend), service, address, every, std::move(ops))) {}

HeartbeatRegistrar::~HeartbeatRegistrar() {
  if (!state_->stopping.load()) asio::co_spawn(state_->wake.get_executor(), State::withdraw(state_), asio::detached);
}

void HeartbeatRegistrar::register_instance() {
  if (state_->started.exchange(true)) return;
  asio::co_spawn(state_->wake.get_executor(), State::keep_registered(state_), asio::detached);
}

Status HeartbeatRegistrar::deregister(std::chrono::milliseconds timeout) {
  auto done = asio::co_spawn(state_->wake.get_executor(), State::withdraw(state_), asio::use_future);
  if (done.wait_for(timeout) != std::future_status::ready)
    return deadline_exceeded(state_->backend + " did not confirm the deregistration in time; the lease will expire instead");
  return done.get();
}

bool HeartbeatRegistrar::registered() const { return state_->holds.load(); }

}  // namespace svckit::sd::detail
