#include "svckit/middleware/rate_limit.hpp"

#include <algorithm>
#include <stdexcept>

namespace svckit::middleware {

TokenBucket::TokenBucket(double per_second, double burst)
    : per_second_(per_second), burst_(burst), tokens_(burst), last_(Clock::now()) {
  if (!(per_second > 0) || !(burst >= 1)) throw std::invalid_argument("rate limit needs per_second > 0 and burst >= 1");
}

bool TokenBucket::take(Clock::time_point now, Clock::duration* wait) {
  std::lock_guard lock(mu_);
  if (now > last_) {
    tokens_ = std::min(burst_, tokens_ + std::chrono::duration<double>(now - last_).count() * per_second_);
    last_ = now;
  }
  if (tokens_ >= 1) {
    tokens_ -= 1;
    return true;
  }
  if (wait) *wait = std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>((1 - tokens_) / per_second_));
  return false;
}

Status RateLimit::rate_limited(TokenBucket::Clock::duration wait) {
  auto ms = std::chrono::ceil<std::chrono::milliseconds>(wait);
  return Status(StatusCode::ResourceExhausted, "rate limit exceeded; retry in " + std::to_string(ms.count()) + " ms")
      .with_retry_after(std::max(ms, std::chrono::milliseconds(1)));
}

}  // namespace svckit::middleware
