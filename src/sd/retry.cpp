#include "svckit/sd/retry.hpp"

#include <algorithm>

#include "balancers/pick.hpp"

namespace svckit::sd {

RetryBudget::RetryBudget(double ratio, double min_per_second, double max_tokens)
    : ratio_(ratio), per_second_(min_per_second), max_(max_tokens), tokens_(max_tokens),
      last_(std::chrono::steady_clock::now()) {}

void RetryBudget::on_call() {
  std::lock_guard lock(mu_);
  tokens_ = std::min(max_, tokens_ + ratio_);
}

bool RetryBudget::try_retry() {
  std::lock_guard lock(mu_);
  auto now = std::chrono::steady_clock::now();
  tokens_ = std::min(max_, tokens_ + per_second_ * std::chrono::duration<double>(now - last_).count());
  last_ = now;
  if (tokens_ < 1) return false;
  tokens_ -= 1;
  return true;
}

namespace detail {

std::chrono::milliseconds jittered_backoff(int attempt, std::chrono::milliseconds initial, std::chrono::milliseconds max) {
  auto cap = std::min(max, initial * (std::int64_t{1} << std::min(attempt, 20)));
  if (cap.count() <= 0) return std::chrono::milliseconds(0);
  return std::chrono::milliseconds(balancers::fast_random() % static_cast<std::uint64_t>(cap.count() + 1));
}

bool retryable(StatusCode code) { return code == StatusCode::Unavailable; }

}  // namespace detail
}  // namespace svckit::sd
