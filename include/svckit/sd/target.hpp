// svckit/sd/target.hpp — one instance as a client sees it: identity, live load, health, circuit breaker.
//
// Balancers read the load figures (in-flight calls, EWMA latency) and skip targets that are not usable():
// marked down (the Endpointer marks a target down when a call to it fails to connect and brings it back
// once a probe connects again) or with an open circuit breaker (breaker.hpp). Each finished call feeds the
// breaker and the client metrics (svckit_client_requests_total{service,instance,code}).
// Thread-safety: all members may be used from any thread (atomics; figures are advisory).
#pragma once

#include <atomic>
#include <chrono>
#include <string>

#include "svckit/sd/breaker.hpp"
#include "svckit/sd/instance.hpp"
#include "svckit/status.hpp"

namespace svckit::metrics {
class Counter;
template <class T>
class Family;
}  // namespace svckit::metrics

namespace svckit::sd {

class Target {
 public:
  explicit Target(Instance instance) : instance_(std::move(instance)) {}
  virtual ~Target() = default;
  Target(const Target&) = delete;
  Target& operator=(const Target&) = delete;

  const Instance& instance() const { return instance_; }

  // Load ------------------------------------------------------------------------------------------
  int in_flight() const { return in_flight_.load(std::memory_order_relaxed); }
  /// Exponentially weighted moving average of call latency, in microseconds (0 before the first call).
  double latency_ewma_us() const { return ewma_us_.load(std::memory_order_relaxed); }
  void call_started() { in_flight_.fetch_add(1, std::memory_order_relaxed); }
  /// Ends a call: load figures, the breaker (opening it counts an ejection), the per-instance metrics.
  void call_finished(std::chrono::nanoseconds latency, StatusCode code);
  void call_finished(std::chrono::nanoseconds latency) {
    in_flight_.fetch_sub(1, std::memory_order_relaxed);
    double us = static_cast<double>(latency.count()) / 1000.0;
    double old = ewma_us_.load(std::memory_order_relaxed);
    ewma_us_.store(old == 0 ? us : old + kAlpha * (us - old), std::memory_order_relaxed);
  }

  // Health ----------------------------------------------------------------------------------------
  bool down() const { return down_.load(std::memory_order_relaxed); }
  /// Returns true if this call changed the state (so exactly one caller starts the probe).
  bool mark_down() { return !down_.exchange(true); }
  void mark_up() { down_.store(false); }

  // Circuit breaker ---------------------------------------------------------------------------------
  AdaptiveBreaker& breaker() { return breaker_; }
  /// Neither down nor held out by an open breaker.
  bool usable() const { return !down() && !breaker_.open(); }

  /// Where this target counts its calls; set by the Endpointer that owns it (none by default).
  struct Counters {
    std::string service;
    metrics::Family<metrics::Counter>* calls = nullptr;  // svckit_client_requests_total
    metrics::Counter* ok = nullptr;                      // ... {code="OK"}, looked up once
    metrics::Counter* breaker_ejections = nullptr;       // svckit_balancer_ejections_total{reason="breaker"}
  };
  void set_counters(Counters c) { counters_ = std::move(c); }

 private:
  static constexpr double kAlpha = 0.2;
  Instance instance_;
  std::atomic<int> in_flight_{0};
  std::atomic<double> ewma_us_{0};
  std::atomic<bool> down_{false};
  AdaptiveBreaker breaker_;
  Counters counters_;
};

}  // namespace svckit::sd
