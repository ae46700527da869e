#include "login_throttle.hpp"

#include <algorithm>
#include <cctype>
#include <vector>

#include "svckit/address.hpp"

namespace bugtracker::users {

using svckit::middleware::TokenBucket;

namespace {

std::string lower(std::string_view s) {
  std::string out(s);
  std::transform(out.begin(), out.end(), out.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return out;
}

// The client's address without its port: a client opens a new port per connection.
std::string client_of(std::string_view peer) {
  try {
    return svckit::split_host_port(peer).first;
  } catch (const std::exception&) {
    return std::string(peer);
  }
}

svckit::Status throttled(TokenBucket::Clock::duration wait, const char* what = "login attempts") {
  auto s = std::max<long long>(1, std::chrono::ceil<std::chrono::seconds>(wait).count());
  return svckit::Status(svckit::StatusCode::ResourceExhausted,
                        std::string("too many ") + what + "; try again in " + std::to_string(s) + " s")
      .with_retry_after(std::chrono::seconds(s));
}

}  // namespace

LoginThrottle::LoginThrottle(Limit per_account, Limit per_client, std::size_t max_keys)
    : accounts_(per_account, max_keys), clients_(per_client, max_keys) {}

svckit::Status LoginThrottle::admit(std::string_view email, std::string_view peer) {
  TokenBucket::Clock::duration wait{};
  if (!accounts_.take(lower(email), &wait)) return throttled(wait);
  if (!peer.empty() && !clients_.take(client_of(peer), &wait)) return throttled(wait);
  return {};
}

svckit::Status LoginThrottle::admit_signup(std::string_view peer) {
  TokenBucket::Clock::duration wait{};
  if (!peer.empty() && !clients_.available(client_of(peer), &wait)) return throttled(wait, "attempts from this address");
  return {};
}

void LoginThrottle::charge_conflict(std::string_view peer) {
  TokenBucket::Clock::duration wait{};
  if (!peer.empty()) (void)clients_.take(client_of(peer), &wait);
}

bool LoginThrottle::Buckets::available(const std::string& key, TokenBucket::Clock::duration* wait) {
  std::lock_guard lock(mu_);
  auto it = buckets_.find(key);
  return it == buckets_.end() || it->second.available(TokenBucket::Clock::now(), wait);
}

bool LoginThrottle::Buckets::take(const std::string& key, TokenBucket::Clock::duration* wait) {
  const auto now = TokenBucket::Clock::now();
  std::lock_guard lock(mu_);
  auto it = buckets_.find(key);
  if (it == buckets_.end()) {
    make_room(now);
    it = buckets_.try_emplace(key, limit_.per_minute / 60.0, limit_.per_minute).first;
  }
  return it->second.take(now, wait);
}

void LoginThrottle::Buckets::make_room(TokenBucket::Clock::time_point now) {
  if (buckets_.size() < max_keys_) return;
  std::erase_if(buckets_, [&](const auto& kv) { return kv.second.full(now); });
  if (buckets_.size() < max_keys_) return;
  // None is idle: forget the quarter that will be full again soonest. Forgetting a bucket refills it, so
  // this gives back the fewest tokens, and the deepest-drained buckets (the accounts under attack) stay:
  // a flood of new keys cannot reset another key's count (it used to wipe the table).
  std::vector<std::pair<TokenBucket::Clock::time_point, std::string>> by_refill;
  by_refill.reserve(buckets_.size());
  for (const auto& [key, bucket] : buckets_) by_refill.emplace_back(bucket.full_at(), key);
  const std::size_t evict = std::max<std::size_t>(1, buckets_.size() / 4);
  std::nth_element(by_refill.begin(), by_refill.begin() + static_cast<std::ptrdiff_t>(evict - 1), by_refill.end());
  for (std::size_t i = 0; i < evict; ++i) buckets_.erase(by_refill[i].second);
}

}  // namespace bugtracker::users
