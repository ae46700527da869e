// svckit/sd/target.hpp — one instance as a client sees it: identity, live load and health.
//
// Balancers read the load figures (in-flight calls, EWMA latency) and skip targets marked down. The
// Endpointer marks a target down when a call to it fails to connect and brings it back once a probe
// connects again. Thread-safety: all members may be used from any thread (atomics; figures are advisory).
#pragma once

#include <atomic>
#include <chrono>

#include "svckit/sd/instance.hpp"

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
  void call_finished(std::chrono::nanoseconds latency) {
    in_flight_.fetch_sub(1, std::memory_order_relaxed);
    double us = static_cast<double>(latency.count()) / 1000.0;
    double old = ewma_us_.load(std::memory_order_relaxed);
    ewma_us_.store(old == 0 ? us : old + kAlpha * (us - old), std::memory_order_relaxed);
  }
  /// P2C's cost: expected latency × queue length (lower is better).
  double load_score() const { return (latency_ewma_us() + 1.0) * (in_flight() + 1); }

  // Health ----------------------------------------------------------------------------------------
  bool down() const { return down_.load(std::memory_order_relaxed); }
  /// Returns true if this call changed the state (so exactly one caller starts the probe).
  bool mark_down() { return !down_.exchange(true); }
  void mark_up() { down_.store(false); }

 private:
  static constexpr double kAlpha = 0.2;
  Instance instance_;
  std::atomic<int> in_flight_{0};
  std::atomic<double> ewma_us_{0};
  std::atomic<bool> down_{false};
};

}  // namespace svckit::sd
