#include "svckit/middleware/rate_limit.hpp"

#include <algorithm>
#include <limits>
#include <stdexcept>

namespace svckit::middleware {

namespace {
std::int64_t checked_interval(double per_second, double burst) {
  if (!(per_second > 0) || !(burst >= 1)) throw std::invalid_argument("rate limit needs per_second > 0 and burst >= 1");
  return std::max<std::int64_t>(1, static_cast<std::int64_t>(1e9 / per_second));
}
std::int64_t ns(TokenBucket::Clock::time_point t) {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(t.time_since_epoch()).count();
}
}  // namespace

TokenBucket::TokenBucket(double per_second, double burst)
    : interval_ns_(checked_interval(per_second, burst)),
      tolerance_ns_(static_cast<std::int64_t>((burst - 1) * static_cast<double>(interval_ns_))),
      full_at_(std::numeric_limits<std::int64_t>::min()) {}

bool TokenBucket::take(Clock::time_point now_tp, Clock::duration* wait) {
  const std::int64_t now = ns(now_tp);
  std::int64_t full_at = full_at_.load(std::memory_order_relaxed);
  for (;;) {
    const std::int64_t base = std::max(full_at, now);  // a bucket full in the past is just full
    if (base - now > tolerance_ns_) {                   // drawing one more would exceed the burst
      if (wait) *wait = std::chrono::nanoseconds(base - now - tolerance_ns_);
      return false;
    }
    if (full_at_.compare_exchange_weak(full_at, base + interval_ns_, std::memory_order_relaxed)) return true;
  }
}

bool TokenBucket::available(Clock::time_point now_tp, Clock::duration* wait) const {
  const std::int64_t now = ns(now_tp);
  const std::int64_t base = std::max(full_at_.load(std::memory_order_relaxed), now);
  if (base - now <= tolerance_ns_) return true;
  if (wait) *wait = std::chrono::nanoseconds(base - now - tolerance_ns_);
  return false;
}

bool TokenBucket::full(Clock::time_point now) const { return full_at_.load(std::memory_order_relaxed) <= ns(now); }

TokenBucket::Clock::time_point TokenBucket::full_at() const {
  const std::int64_t at = std::max<std::int64_t>(full_at_.load(std::memory_order_relaxed), 0);  // never drawn: the epoch
  return Clock::time_point(std::chrono::duration_cast<Clock::duration>(std::chrono::nanoseconds(at)));
}

Status RateLimit::rate_limited(TokenBucket::Clock::duration wait) {
  auto ms = std::chrono::ceil<std::chrono::milliseconds>(wait);
  return Status(StatusCode::ResourceExhausted, "rate limit exceeded; retry in " + std::to_string(ms.count()) + " ms")
      .with_retry_after(std::max(ms, std::chrono::milliseconds(1)));
}

}  // namespace svckit::middleware
