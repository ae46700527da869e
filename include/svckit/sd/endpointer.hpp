// svckit/sd/endpointer.hpp — turns the instances an Instancer publishes into client connections.
//
// A ConnectionPool<T> holds one T per instance: a connection, or every method's endpoint built on one
// connection (the generated clients pool their `Endpoints`, so all methods share one connection per instance,
// and the balancer, breakers, passive health and load figures see all of the service's calls).
// Endpointer<Req, Resp> is the one-endpoint case (go-kit's Endpointer):
//
//   auto endpointer = svckit::sd::Endpointer<Req, Resp>::create(
//       instancer,
//       [](const svckit::sd::Instance& inst) -> svckit::Result<svckit::Endpoint<Req, Resp>> {
//         auto channel = svckit::grpc::make_channel(inst.address);      // one connection per instance
//         return svckit::grpc::client_endpoint<Req, Resp>(channel, "/pb.Notificator/SendEmail");
//       },
//       svckit::sd::make_balancer("p2c"), io.get_executor());
//   auto call = svckit::sd::balanced(endpointer, {.max_attempts = 3});   // see retry.hpp
//
// The factory runs once when an instance appears; the endpoint (and the connection it holds) is dropped
// when the instance leaves, or rebuilt when its registry value changes. Never a connection per request.
// Passive health: report_failure() (called by svckit::sd::balanced on a failed connection) takes the
// target out of rotation at once; a TCP connect probe with backoff puts it back when it answers again,
// long before a lease could expire. Probes are connects, not requests, so they cost no failed calls.
// Thread-safety: targets() and report_failure() may be called from any thread; updates are applied on
// the executor given to create(), serialised by a strand.
#pragma once

#include <atomic>
#include <chrono>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/strand.hpp>

#include "svckit/endpoint.hpp"
#include "svckit/log.hpp"
#include <boost/asio/steady_timer.hpp>

#include "svckit/sd/balancer.hpp"
#include "svckit/sd/instancer.hpp"

namespace svckit::sd {

struct EndpointerOptions {
  std::string service;  // the service's name in client metrics (label service=); empty: "unnamed"
  std::chrono::milliseconds probe_initial{50};  // first probe of a target marked down
  std::chrono::milliseconds probe_max{2000};    // probes back off up to this interval
  std::chrono::milliseconds probe_timeout{1000};
  BreakerOptions breaker;  // each target's circuit breaker (breaker.hpp)
};

/// The type-independent part: instance bookkeeping, publication, health probes.
class EndpointerBase : public std::enable_shared_from_this<EndpointerBase> {
 public:
  virtual ~EndpointerBase();

  /// The current targets (an immutable snapshot; cheap to take, safe to keep).
  std::shared_ptr<const TargetSet> targets() const { return set_.load(std::memory_order_acquire); }
  Balancer& balancer() { return *balancer_; }
  /// Status of the instancer as last seen (not OK while the registry is unreachable).
  Status registry_status() const;

  /// A call to t could not reach it: out of rotation now, probed back in.
  void report_failure(Target& t);
  /// Counts a retry (svckit_client_retries_total{service}); called by svckit::sd::balanced.
  void count_retry();

  /// True once the instancer's first set has arrived (before that, "no targets" means "not known yet").
  bool initialized() const { return initialized_.load(std::memory_order_acquire); }
  /// Waits until initialized() or the deadline (only at start-up; polls every millisecond).
  boost::asio::awaitable<bool> wait_initialized(std::chrono::steady_clock::time_point deadline) const;
  /// Waits until a set with a target is published, or the deadline; true when there is a target. Woken by
  /// the publication itself (no polling): a call that finds no instance rides out the moment between an
  /// instance's deletion and its re-registration (svckit::sd::balanced, RetryOptions::wait_for_instance).
  boost::asio::awaitable<bool> wait_for_targets(std::chrono::steady_clock::time_point deadline);
  /// Calls waiting in wait_for_targets now.
  std::size_t waiting_for_targets() const;

 protected:
  EndpointerBase(std::shared_ptr<Instancer> instancer, std::shared_ptr<Balancer> balancer,
                 boost::asio::any_io_executor ex, EndpointerOptions opts);
  /// Subscribes; call from create() once the object is owned by a shared_ptr.
  void start();
  /// Builds the target (with its endpoint) for an instance.
  virtual Result<std::shared_ptr<Target>> make_target(const Instance& inst) = 0;

 private:
  void on_update(const InstanceUpdate& u);
  void publish();

  std::shared_ptr<Instancer> instancer_;
  std::shared_ptr<Balancer> balancer_;
  metrics::Counter& retries_;
  metrics::Counter& unreachable_ejections_;
  boost::asio::strand<boost::asio::any_io_executor> strand_;
  EndpointerOptions opts_;
  log::Logger log_{"endpointer"};
  Subscription sub_;
  std::unordered_map<std::string, std::shared_ptr<Target>> by_key_;  // strand only
  std::atomic<std::shared_ptr<const TargetSet>> set_{std::make_shared<const TargetSet>()};
  std::atomic<bool> initialized_{false};
  mutable std::mutex waiters_mu_;  // guards waiters_; publish() wakes them all
  std::vector<std::shared_ptr<boost::asio::steady_timer>> waiters_;
  mutable std::mutex status_mu_;
  Status registry_status_;
};

/// One `T` per instance — a connection, or every method's endpoint built on one connection — made by the
/// factory when the instance appears and dropped when it leaves.
template <class T>
class ConnectionPool final : public EndpointerBase {
 public:
  using Factory = std::function<Result<T>(const Instance&)>;

  /// A target carrying what the factory made for its instance.
  struct PooledTarget final : Target {
    PooledTarget(Instance i, T c) : Target(std::move(i)), conn(std::move(c)) {}
    T conn;
  };

  static std::shared_ptr<ConnectionPool> create(std::shared_ptr<Instancer> instancer, Factory factory,
                                                std::shared_ptr<Balancer> balancer, boost::asio::any_io_executor ex,
                                                EndpointerOptions opts = {}) {
    auto e = std::shared_ptr<ConnectionPool>(
        new ConnectionPool(std::move(instancer), std::move(factory), std::move(balancer), std::move(ex), opts));
    e->start();
    return e;
  }

 private:
  ConnectionPool(std::shared_ptr<Instancer> instancer, Factory factory, std::shared_ptr<Balancer> balancer,
                 boost::asio::any_io_executor ex, EndpointerOptions opts)
      : EndpointerBase(std::move(instancer), std::move(balancer), std::move(ex), opts), factory_(std::move(factory)) {}

  Result<std::shared_ptr<Target>> make_target(const Instance& inst) override {
    auto c = factory_(inst);
    if (!c.ok()) return c.status();
    return std::shared_ptr<Target>(std::make_shared<PooledTarget>(inst, std::move(*c)));
  }

  Factory factory_;
};

/// go-kit's Endpointer: one endpoint (and the connection it holds) per instance.
template <class Req, class Resp>
using Endpointer = ConnectionPool<Endpoint<Req, Resp>>;

}  // namespace svckit::sd
