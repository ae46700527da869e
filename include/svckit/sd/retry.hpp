// svckit/sd/retry.hpp — a client endpoint over every instance of a service: balance, retry, fail over.
//
//   auto send = svckit::sd::balanced(endpointer, {.max_attempts = 3,
//                                                .attempt_timeout = std::chrono::milliseconds(500)});
//   auto reply = co_await send(ctx, request);
//
// Each attempt goes to a target the balancer picks — never the one that just failed while another is
// up — with a deadline of min(overall deadline, now + attempt_timeout); the overall deadline (the
// Context's, else RetryOptions::timeout) travels to the server with the call. Only retryable failures are
// retried: Unavailable (connection refused or reset, instance going away) and an attempt's own timeout.
// Unavailable also takes the target out of rotation (see Endpointer::report_failure). Between attempts
// the wait is exponential with full jitter. A RetryBudget caps retries to a fraction of calls, so a
// struggling service is not buried under retries (go-kit's lb.Retry has no such cap). Every target has
// a circuit breaker (breaker.hpp) fed by each attempt's outcome: a call it refuses goes to another
// instance, and an open breaker keeps its instance out of balancing. A call that finds no instance at all
// waits up to RetryOptions::wait_for_instance (within its deadline) for one to be published. Counted per EndpointerOptions::service:
// svckit_client_requests_total{service,instance,code}, svckit_client_retries_total{service} and
// svckit_balancer_ejections_total{service,reason}.
// Thread-safety: the returned endpoint may be called concurrently from any thread; the budget is shared.
#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <mutex>
#include <string>

#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>

#include "svckit/sd/endpointer.hpp"
#include "svckit/stream_endpoint.hpp"

namespace svckit::sd {

/// Retries allowed = `ratio` × calls, plus `min_per_second` so a quiet client can still retry; at most
/// `max_tokens` saved up for a burst.
class RetryBudget {
 public:
  explicit RetryBudget(double ratio = 0.2, double min_per_second = 10, double max_tokens = 100);
  void on_call();
  /// Takes one retry from the budget; false when it is spent.
  bool try_retry();

 private:
  std::mutex mu_;
  double ratio_, per_second_, max_;
  double tokens_;
  std::chrono::steady_clock::time_point last_;
};

struct RetryOptions {
  int max_attempts = 3;                          // including the first
  std::chrono::milliseconds attempt_timeout{0};  // 0: each attempt may use the whole remaining deadline
  std::chrono::milliseconds timeout{10000};      // overall, when the Context has no deadline
  std::chrono::milliseconds backoff_initial{2};
  std::chrono::milliseconds backoff_max{100};
  // A call that finds no instance waits this long (within its deadline) for one to be published, rather
  // than failing at once: an instance deleted and registered again a moment later (a lease that lapsed in a
  // registry outage, a restart) costs the call that wait, not an error. 0: fail at once.
  std::chrono::milliseconds wait_for_instance{500};
  // Whether an attempt that ran out of its attempt_timeout is tried again on another instance. The request
  // may have reached the first instance and be applied there late: for a call that must happen once (an
  // email) set false, hash its key to one instance (consistent_hash) and resend later to the same one.
  bool retry_after_timeout = true;
  std::shared_ptr<RetryBudget> budget = std::make_shared<RetryBudget>();
};

namespace detail {
/// A random wait in [0, min(max, initial × 2^attempt)].
std::chrono::milliseconds jittered_backoff(int attempt, std::chrono::milliseconds initial, std::chrono::milliseconds max);
bool retryable(StatusCode code);
}  // namespace detail

/// A hash key for consistent_hash (e.g. the user id); returns "" when the request has none.
template <class Req>
using KeyOf = std::function<std::string(const Req&)>;

/// The KeyOf a function of any request message gives (the generated clients' ClientOptions::hash_key);
/// empty when f is.
template <class Req, class F>
KeyOf<Req> key_of(const F& f) {
  if (!f) return {};
  return [f](const Req& r) { return f(r); };
}

namespace detail {
/// Before retry number `attempt` (≥ 1): takes it from the budget and waits the backoff. False when the
/// budget is spent (last says so) or the backoff would end past the deadline.
template <class T>
boost::asio::awaitable<bool> before_retry(ConnectionPool<T>& endpointer, const RetryOptions& opts, int attempt,
                                          Context::Clock::time_point deadline, Status& last) {
  if (!opts.budget->try_retry()) {
    last = Status(last.code(), last.message() + " (retry budget exhausted)");
    co_return false;
  }
  endpointer.count_retry();
  auto pause = detail::jittered_backoff(attempt - 1, opts.backoff_initial, opts.backoff_max);
  if (Context::Clock::now() + pause >= deadline) co_return false;
  boost::asio::steady_timer t(co_await boost::asio::this_coro::executor, pause);
  co_await t.async_wait(boost::asio::use_awaitable);
  co_return true;
}

/// The target of one attempt, and the set it is in: the set keeps the target (and its connection) alive
/// for the attempt even if the endpointer publishes a new one meanwhile (an instance leaving).
template <class T>
struct Picked {
  std::shared_ptr<const TargetSet> set;
  typename ConnectionPool<T>::PooledTarget* target = nullptr;
};

/// The target for one attempt: the balancer's pick, unless its circuit breaker refuses the call — then
/// another instance, at no cost to the retry budget (the refused instance is overloaded, not this call).
/// Waits for the first set after start-up, and once per call (`waited`) for an instance to come back when
/// there is none. No target: `last` says why.
template <class T>
boost::asio::awaitable<Picked<T>> pick_target(ConnectionPool<T>& endpointer, const RetryOptions& opts, Context::Clock::time_point deadline,
                                              PickOptions& pick, bool& waited, Status& last) {
  using Target_ = typename ConnectionPool<T>::PooledTarget;
  Picked<T> out{endpointer.targets()};
  if (out.set->targets.empty() && !endpointer.initialized()) {  // just started: wait for the first set
    co_await endpointer.wait_initialized(deadline);
    out.set = endpointer.targets();
  }
  if (out.set->targets.empty() && opts.wait_for_instance.count() > 0 && !waited) {  // none now: one may come back
    waited = true;  // once per call: a service that has none for real fails after one wait
    co_await endpointer.wait_for_targets(std::min(deadline, Context::Clock::now() + opts.wait_for_instance));
    out.set = endpointer.targets();
  }
  const Target* refused = nullptr;
  for (std::size_t tries = 0; tries <= out.set->targets.size(); ++tries) {
    auto* t = static_cast<Target_*>(endpointer.balancer().pick(*out.set, pick));
    if (t && !t->breaker().allow()) {
      refused = t;
      pick.avoid = t;
      continue;
    }
    out.target = t;
    break;
  }
  if (!out.target)
    last = refused ? unavailable("circuit breaker open for " + refused->instance().address)
                   : unavailable("no instances available" +
                                 (endpointer.registry_status().ok() ? std::string() : ": " + endpointer.registry_status().message()));
  co_return out;
}

/// The balanced, retried call of one endpoint that `select` finds in each instance's T.
template <class Req, class Resp, class T, class Select>
Endpoint<Req, Resp> balanced_over(std::shared_ptr<ConnectionPool<T>> endpointer, Select select, RetryOptions opts,
                                  KeyOf<Req> key_of) {
  return [endpointer = std::move(endpointer), select, opts, key_of = std::move(key_of)](
             const Context& ctx, const Req& req) -> boost::asio::awaitable<Result<Resp>> {
    Context call_ctx = ctx;
    if (!call_ctx.deadline()) call_ctx.set_timeout(opts.timeout);
    const auto deadline = *call_ctx.deadline();
    PickOptions pick;
    if (key_of) pick.hash = hash_key(key_of(req));
    opts.budget->on_call();
    Status last = unavailable("no instances available");
    bool waited = false;
    for (int attempt = 0; attempt < opts.max_attempts; ++attempt) {
      if (attempt > 0) {  // (not `attempt > 0 && co_await …`: no co_await in a short-circuit, for GCC 12)
        const bool again = co_await before_retry(*endpointer, opts, attempt, deadline, last);
        if (!again) break;
      }
      const Picked<T> picked = co_await pick_target(*endpointer, opts, deadline, pick, waited, last);
      auto* target = picked.target;  // alive while `picked` holds its set
      if (!target) continue;
      Context attempt_ctx = call_ctx;
      if (opts.attempt_timeout.count() > 0) attempt_ctx.set_timeout(opts.attempt_timeout);
      auto started = std::chrono::steady_clock::now();
      target->call_started();
      auto r = co_await select(target->conn)(attempt_ctx, req);
      const CallOutcome outcome{std::chrono::steady_clock::now() - started, r.ok() ? StatusCode::Ok : r.status().code()};
      target->call_finished(outcome.latency, outcome.code);
      endpointer->balancer().feedback(*target, outcome);
      if (r.ok()) co_return r;
      last = r.status();
      bool attempt_timed_out = last.code() == StatusCode::DeadlineExceeded && Context::Clock::now() < deadline;
      if (attempt_timed_out && !opts.retry_after_timeout) co_return last;
      if (last.code() == StatusCode::Unavailable) endpointer->report_failure(*target);
      if (!detail::retryable(last.code()) && !attempt_timed_out) co_return last;
      if (ctx.cancelled()) co_return last;
      pick.avoid = target;
    }
    co_return last;
  };
}

/// Counts the messages that reached the caller's writer: a stream that delivered one is never retried.
template <class Msg>
struct DeliveredCounter final : StreamWriter<Msg> {
  explicit DeliveredCounter(StreamWriter<Msg>& out) : out(out) {}
  boost::asio::awaitable<bool> write(const Msg& message) override {
    ++delivered;
    return out.write(message);
  }
  StreamWriter<Msg>& out;
  std::size_t delivered = 0;
};

/// The balanced server-streaming call of one stream endpoint: as balanced_over, but an attempt is retried
/// only while no message has reached the writer (a retry would repeat them), and attempt_timeout does not
/// apply (a stream's length is the caller's: its deadline bounds it). Its outcome feeds the breaker and
/// the balancer as a call's does.
template <class Req, class Resp, class T, class Select>
StreamEndpoint<Req, Resp> balanced_stream_over(std::shared_ptr<ConnectionPool<T>> endpointer, Select select, RetryOptions opts,
                                               KeyOf<Req> key_of) {
  return [endpointer = std::move(endpointer), select, opts, key_of = std::move(key_of)](
             const Context& ctx, const Req& req, StreamWriter<Resp>& out) -> boost::asio::awaitable<Status> {
    Context call_ctx = ctx;
    if (!call_ctx.deadline()) call_ctx.set_timeout(opts.timeout);
    const auto deadline = *call_ctx.deadline();
    PickOptions pick;
    if (key_of) pick.hash = hash_key(key_of(req));
    opts.budget->on_call();
    Status last = unavailable("no instances available");
    bool waited = false;
    DeliveredCounter<Resp> counted(out);
    for (int attempt = 0; attempt < opts.max_attempts; ++attempt) {
      if (attempt > 0) {  // (not `attempt > 0 && co_await …`: no co_await in a short-circuit, for GCC 12)
        const bool again = co_await before_retry(*endpointer, opts, attempt, deadline, last);
        if (!again) break;
      }
      const Picked<T> picked = co_await pick_target(*endpointer, opts, deadline, pick, waited, last);
      auto* target = picked.target;  // alive while `picked` holds its set
      if (!target) continue;
      auto started = std::chrono::steady_clock::now();
      target->call_started();
      last = co_await select(target->conn)(call_ctx, req, counted);
      const CallOutcome outcome{std::chrono::steady_clock::now() - started, last.code()};
      target->call_finished(outcome.latency, outcome.code);
      endpointer->balancer().feedback(*target, outcome);
      if (last.ok() || counted.delivered > 0) co_return last;
      if (last.code() == StatusCode::Unavailable) endpointer->report_failure(*target);
      if (!detail::retryable(last.code())) co_return last;
      if (ctx.cancelled()) co_return last;
      pick.avoid = target;
    }
    co_return last;
  };
}
}  // namespace detail

/// Every instance's endpoint, balanced and retried.
template <class Req, class Resp>
Endpoint<Req, Resp> balanced(std::shared_ptr<Endpointer<Req, Resp>> endpointer, RetryOptions opts = {},
                             KeyOf<Req> key_of = {}) {
  return detail::balanced_over<Req, Resp>(
      std::move(endpointer), [](const Endpoint<Req, Resp>& e) -> const Endpoint<Req, Resp>& { return e; }, std::move(opts),
      std::move(key_of));
}

/// One method of a pooled connection, balanced and retried: `method` names the endpoint in T, e.g.
/// balanced(pool, &Endpoints::send_email). Every method balanced over one pool shares its instances'
/// connections, load figures, breakers and passive health.
template <class Req, class Resp, class T>
Endpoint<Req, Resp> balanced(std::shared_ptr<ConnectionPool<T>> pool, Endpoint<Req, Resp> T::*method,
                             RetryOptions opts = {}, KeyOf<Req> key_of = {}) {
  return detail::balanced_over<Req, Resp>(
      std::move(pool), [method](const T& conn) -> const Endpoint<Req, Resp>& { return conn.*method; }, std::move(opts),
      std::move(key_of));
}

/// One server-streaming method of a pooled connection, balanced (balanced_stream_over above: retried only
/// before its first message).
template <class Req, class Resp, class T>
StreamEndpoint<Req, Resp> balanced(std::shared_ptr<ConnectionPool<T>> pool, StreamEndpoint<Req, Resp> T::*method,
                                   RetryOptions opts = {}, KeyOf<Req> key_of = {}) {
  return detail::balanced_stream_over<Req, Resp>(
      std::move(pool), [method](const T& conn) -> const StreamEndpoint<Req, Resp>& { return conn.*method; }, std::move(opts),
      std::move(key_of));
}

}  // namespace svckit::sd
