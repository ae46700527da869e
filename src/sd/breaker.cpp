#include "svckit/sd/breaker.hpp"

#include <random>

namespace svckit::sd {

namespace {
// A uniform number in [0, 1) from a per-thread generator (no lock).
double uniform01() {
  thread_local std::mt19937_64 rng{std::random_device{}()};
  return static_cast<double>(rng() >> 11) * 0x1.0p-53;
}
}  // namespace

bool accepted(StatusCode code) {
  switch (code) {
    case StatusCode::Unavailable:
    case StatusCode::ResourceExhausted:
    case StatusCode::DeadlineExceeded:
    case StatusCode::Internal:
    case StatusCode::Unknown:
      return false;
    default:
      return true;
  }
}

AdaptiveBreaker::AdaptiveBreaker(BreakerOptions opts)
    : opts_(opts),
      bucket_ns_(std::max<std::int64_t>(1, std::chrono::duration_cast<std::chrono::nanoseconds>(opts.window).count() / kBuckets)) {}

void AdaptiveBreaker::configure(BreakerOptions opts) {
  std::lock_guard lock(mu_);
  opts_ = opts;
  bucket_ns_ = std::max<std::int64_t>(1, std::chrono::duration_cast<std::chrono::nanoseconds>(opts.window).count() / kBuckets);
  buckets_ = {};
  p_.store(0);
  open_until_.store(0);
}

AdaptiveBreaker::Bucket& AdaptiveBreaker::current(Clock::time_point now) {
  const std::int64_t epoch = std::chrono::duration_cast<std::chrono::nanoseconds>(now.time_since_epoch()).count() / bucket_ns_;
  auto& b = buckets_[static_cast<std::size_t>(epoch % kBuckets)];
  if (b.epoch != epoch) b = Bucket{epoch, 0, 0};
  return b;
}

void AdaptiveBreaker::update(Clock::time_point now) {
  const std::int64_t epoch = std::chrono::duration_cast<std::chrono::nanoseconds>(now.time_since_epoch()).count() / bucket_ns_;
  double requests = 0, accepts = 0;
  for (const auto& b : buckets_)
    if (b.epoch > epoch - kBuckets && b.epoch <= epoch) {  // inside the window
      requests += static_cast<double>(b.requests);
      accepts += static_cast<double>(b.accepts);
    }
  p_.store(std::max(0.0, (requests - opts_.k * accepts - opts_.protection) / (requests + 1)), std::memory_order_relaxed);
}

bool AdaptiveBreaker::allow(Clock::time_point now) {
  const double p = p_.load(std::memory_order_relaxed);
  if (p <= 0 || uniform01() >= p) return true;
  std::lock_guard lock(mu_);
  ++current(now).requests;
  update(now);
  return false;
}

bool AdaptiveBreaker::record(bool ok, Clock::time_point now) {
  if (!opts_.enabled) return false;  // configure() runs before any call: no lock needed to read it
  std::lock_guard lock(mu_);
  auto& b = current(now);
  ++b.requests;
  if (ok) ++b.accepts;
  update(now);
  if (p_.load(std::memory_order_relaxed) < opts_.open_at) {
    open_until_.store(0, std::memory_order_relaxed);
    return false;
  }
  if (ok || open(now)) return false;  // an accepted call never ejects; already open
  open_until_.store((now + opts_.open_for).time_since_epoch().count(), std::memory_order_relaxed);
  return true;
}

AdaptiveBreaker::State AdaptiveBreaker::state(Clock::time_point now) const {
  if (open(now)) return State::Open;
  return reject_probability() > 0 ? State::Throttling : State::Closed;
}

}  // namespace svckit::sd
