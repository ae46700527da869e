// svckit/sd/breaker.hpp — a client-side circuit breaker per instance: adaptive throttling, as in Google's
// SRE book ("Handling Overload", client request throttling).
//
// Over a sliding window (default 10 s) the client counts the requests it attempted and the ones the
// instance accepted. While requests stay under K × accepts (K = 2), plus a few (`protection`, 5) so that a
// single early failure refuses nothing, no call is refused. Beyond that, each new call is refused locally
// with probability
//
//     p = max(0, (requests − K × accepts − protection) / (requests + 1))
//
// so an instance that rejects most calls gets almost none, and traffic returns gradually as it recovers.
// When a failed call brings p to open_at (0.9) the breaker is open: the balancers skip the instance for
// open_for (1 s) like one that is down, and it comes back to be re-judged by live traffic. "Accepted" means any answer except
// overload and server faults (see accepted()): a NOT_FOUND is a healthy instance doing its job.
// svckit::sd::balanced applies the breaker to every call; a call it refuses goes to another instance.
// Thread-safety: every member may be called from any thread.
#pragma once

#include <array>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <mutex>

#include "svckit/status.hpp"

namespace svckit::sd {

struct BreakerOptions {
  bool enabled = true;                         // false: never refuses, never opens
  double k = 2.0;                              // requests allowed per accepted request before throttling
  double protection = 5;                       // failures always let through (per window)
  std::chrono::milliseconds window{10000};     // history, in 10 buckets
  double open_at = 0.9;                        // refusal probability at which the instance leaves balancing
  std::chrono::milliseconds open_for{1000};    // how long an open breaker keeps the instance out
};

/// True when an instance that answered `code` accepted the call (it was not overloaded or failing).
bool accepted(StatusCode code);

class AdaptiveBreaker {
 public:
  using Clock = std::chrono::steady_clock;
  enum class State { Closed, Throttling, Open };

  explicit AdaptiveBreaker(BreakerOptions opts = {});
  /// Replaces the options and forgets the history (before the first call).
  void configure(BreakerOptions opts);

  /// Whether to make a call now: false with the current refusal probability (a refused call counts as
  /// a request, as the SRE rule has it).
  bool allow(Clock::time_point now = Clock::now());
  /// Records the outcome of a call that was made. Returns true when this outcome opened the breaker
  /// (only a failure can open it).
  bool record(bool accepted, Clock::time_point now = Clock::now());

  /// The refusal probability as of the last allow/record.
  double reject_probability() const { return p_.load(std::memory_order_relaxed); }
  /// Open: out of balancing (until open_for has passed since it opened).
  bool open(Clock::time_point now) const {
    const auto until = open_until_.load(std::memory_order_relaxed);
    return until != 0 && now.time_since_epoch().count() < until;
  }
  /// The same, reading the clock only when the breaker has opened at all (balancers call this per pick).
  bool open() const {
    const auto until = open_until_.load(std::memory_order_relaxed);
    return until != 0 && Clock::now().time_since_epoch().count() < until;
  }
  State state(Clock::time_point now = Clock::now()) const;

 private:
  static constexpr int kBuckets = 10;
  struct Bucket {
    std::int64_t epoch = -1;  // which bucket-length period of the clock this counts
    std::uint64_t requests = 0;
    std::uint64_t accepts = 0;
  };
  Bucket& current(Clock::time_point now);  // mu_ held
  void update(Clock::time_point now);      // recomputes p_; mu_ held

  BreakerOptions opts_;
  std::int64_t bucket_ns_;
  std::mutex mu_;
  std::array<Bucket, kBuckets> buckets_{};
  std::atomic<double> p_{0};
  std::atomic<Clock::rep> open_until_{0};  // clock ticks; 0: not open
};

}  // namespace svckit::sd
