#include "svckit/sd/endpointer.hpp"

#include <unordered_set>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/connect.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>

#include "svckit/address.hpp"
#include "svckit/metrics/registry.hpp"

namespace svckit::sd {

namespace asio = boost::asio;
using namespace asio::experimental::awaitable_operators;

namespace {

// The client-side metrics every Endpointer shares (label service= tells them apart).
struct ClientMetrics {
  metrics::Family<metrics::Counter>& calls = metrics::default_registry().counter(
      "svckit_client_requests_total", "Calls made to each instance, by outcome.", {"service", "instance", "code"});
  metrics::Family<metrics::Counter>& retries =
      metrics::default_registry().counter("svckit_client_retries_total", "Retries made after a failed attempt.", {"service"});
  metrics::Family<metrics::Counter>& ejections = metrics::default_registry().counter(
      "svckit_balancer_ejections_total",
      "Instances taken out of balancing: unreachable (a failed connection) or breaker (circuit breaker opened).",
      {"service", "reason"});
};

ClientMetrics& client_metrics() {
  static ClientMetrics m;
  return m;
}

std::string service_label(const std::string& service) { return service.empty() ? "unnamed" : service; }

}  // namespace

EndpointerBase::EndpointerBase(std::shared_ptr<Instancer> instancer, std::shared_ptr<Balancer> balancer,
                               asio::any_io_executor ex, EndpointerOptions opts)
    : instancer_(std::move(instancer)),
      balancer_(std::move(balancer)),
      retries_(client_metrics().retries.with({service_label(opts.service)})),
      unreachable_ejections_(client_metrics().ejections.with({service_label(opts.service), "unreachable"})),
      strand_(asio::make_strand(ex)),
      opts_(std::move(opts)) {}

void EndpointerBase::count_retry() { retries_.inc(); }

EndpointerBase::~EndpointerBase() = default;

void EndpointerBase::start() {
  std::weak_ptr<EndpointerBase> weak = shared_from_this();
  sub_ = instancer_->subscribe(strand_, [weak](const InstanceUpdate& u) {
    if (auto self = weak.lock()) self->on_update(u);
  });
}

Status EndpointerBase::registry_status() const {
  std::lock_guard lock(status_mu_);
  return registry_status_;
}

void EndpointerBase::on_update(const InstanceUpdate& u) {
  bool changed = false;
  if (u.reset) {
    std::unordered_set<std::string_view> keep;
    for (const auto& i : u.upserts) keep.insert(i.key);
    changed = std::erase_if(by_key_, [&](const auto& kv) { return !keep.contains(kv.first); }) > 0;
  }
  for (const auto& key : u.removed) changed |= by_key_.erase(key) > 0;
  for (const auto& inst : u.upserts) {
    auto it = by_key_.find(inst.key);
    if (it != by_key_.end() && it->second->instance() == inst) continue;
    auto target = make_target(inst);
    if (!target.ok()) {
      log_.error("cannot create an endpoint for an instance; leaving it out",
                 {{"key", inst.key}, {"address", inst.address}, {"error", target.status().message()}});
      if (it != by_key_.end()) by_key_.erase(it);
      changed = true;
      continue;
    }
    auto& m = client_metrics();
    const std::string service = service_label(opts_.service);
    (*target)->breaker().configure(opts_.breaker);
    (*target)->set_counters({service, &m.calls, &m.calls.with({service, inst.address, "OK"}),
                             &m.ejections.with({service, "breaker"})});
    by_key_[inst.key] = std::move(*target);  // a changed value gets a fresh endpoint
    changed = true;
  }
  {
    std::lock_guard lock(status_mu_);
    registry_status_ = u.status;
  }
  if (changed || u.reset) publish();
  initialized_.store(true, std::memory_order_release);
}

asio::awaitable<bool> EndpointerBase::wait_initialized(std::chrono::steady_clock::time_point deadline) const {
  asio::steady_timer t(co_await asio::this_coro::executor);
  while (!initialized() && std::chrono::steady_clock::now() < deadline) {
    t.expires_after(std::chrono::milliseconds(1));
    co_await t.async_wait(asio::use_awaitable);
  }
  co_return initialized();
}

asio::awaitable<bool> EndpointerBase::wait_for_targets(std::chrono::steady_clock::time_point deadline) {
  auto timer = std::make_shared<asio::steady_timer>(co_await asio::this_coro::executor, deadline);
  {
    std::lock_guard lock(waiters_mu_);  // checked under the lock: a publication after it wakes this waiter
    if (!targets()->targets.empty()) co_return true;
    waiters_.push_back(timer);
  }
  co_await timer->async_wait(asio::as_tuple(asio::use_awaitable));  // the deadline, or woken
  {
    std::lock_guard lock(waiters_mu_);
    std::erase(waiters_, timer);
  }
  co_return !targets()->targets.empty();
}

std::size_t EndpointerBase::waiting_for_targets() const {
  std::lock_guard lock(waiters_mu_);
  return waiters_.size();
}

void EndpointerBase::publish() {
  auto set = std::make_shared<TargetSet>();
  set->targets.reserve(by_key_.size());
  for (const auto& [k, t] : by_key_) set->targets.push_back(t);
  set->prepared = balancer_->prepare(set->targets);
  const bool any = !set->targets.empty();
  set_.store(std::move(set), std::memory_order_release);
  if (!any) return;
  std::lock_guard lock(waiters_mu_);
  // On each waiter's own executor; an expiry in the past also ends a wait that has not begun yet.
  for (auto& w : waiters_) asio::post(w->get_executor(), [w] { w->expires_at(asio::steady_timer::time_point::min()); });
  waiters_.clear();
}

namespace {

// Does a TCP connection to address succeed within timeout?
asio::awaitable<bool> can_connect(std::string address, std::chrono::milliseconds timeout) {
  auto ex = co_await asio::this_coro::executor;
  std::pair<std::string, std::uint16_t> hp;
  try {
    hp = split_host_port(address);
  } catch (const std::invalid_argument&) {
    co_return false;
  }
  asio::ip::tcp::resolver resolver(ex);
  asio::ip::tcp::socket socket(ex);
  asio::steady_timer timer(ex, timeout);
  boost::system::error_code ec;
  auto attempt = [&]() -> asio::awaitable<bool> {
    boost::system::error_code e;
    auto results = co_await resolver.async_resolve(hp.first, std::to_string(hp.second),
                                                   asio::redirect_error(asio::use_awaitable, e));
    if (e) co_return false;
    co_await asio::async_connect(socket, results, asio::redirect_error(asio::use_awaitable, e));
    co_return !e;
  };
  auto r = co_await (attempt() || timer.async_wait(asio::redirect_error(asio::use_awaitable, ec)));
  co_return r.index() == 0 && std::get<0>(r);
}

}  // namespace

void EndpointerBase::report_failure(Target& t) {
  if (!t.mark_down()) return;  // already out and being probed
  unreachable_ejections_.inc();
  std::shared_ptr<Target> target;
  for (const auto& candidate : targets()->targets)
    if (candidate.get() == &t) target = candidate;
  if (!target) return;  // it left meanwhile
  log_.warn("instance out of rotation after a failed call; probing it", {{"address", t.instance().address}});
  std::weak_ptr<EndpointerBase> weak_self = shared_from_this();
  std::weak_ptr<Target> weak_target = target;
  auto probe = [](std::weak_ptr<EndpointerBase> weak_self, std::weak_ptr<Target> weak_target,
                  EndpointerOptions opts, asio::any_io_executor ex) -> asio::awaitable<void> {
    auto delay = opts.probe_initial;
    for (;;) {
      asio::steady_timer wait(ex, delay);
      co_await wait.async_wait(asio::use_awaitable);
      delay = std::min(delay * 2, opts.probe_max);
      std::string address;
      {
        auto t = weak_target.lock();
        if (!t || !weak_self.lock()) co_return;  // the instance left (or we are gone): stop probing
        address = t->instance().address;
      }
      if (!co_await can_connect(address, opts.probe_timeout)) continue;
      auto t = weak_target.lock();
      auto self = weak_self.lock();
      if (!t || !self) co_return;
      t->mark_up();
      self->log_.info("instance back in rotation", {{"address", address}});
      co_return;
    }
  };
  asio::co_spawn(strand_, probe(weak_self, weak_target, opts_, strand_), asio::detached);
}

}  // namespace svckit::sd
