// users — how often a login may be tried, per account and per client, so that passwords cannot be guessed
// at machine speed.
//
// Every attempt, right or wrong, takes a token from the account's bucket (by email, case-insensitive) and
// from the client's (by IP address, the request's Context::peer). An empty bucket refuses at once with
// RESOURCE_EXHAUSTED (HTTP 429) and when to try again (Retry-After), before any password is hashed, so a
// guessing run also cannot fill the hashing queue. Defaults: 5 attempts per account and 30 per client, each
// refilling at that many per minute.
// Sign-ups draw on the same per-client bucket: a sign-up that finds its email taken (409, which tells the
// client the email has an account) takes a token, and a client whose bucket is empty gets 429 for every
// sign-up, taken email or not, so enumerating accounts through /create is as slow as guessing passwords.
// Memory is bounded: at most max_keys buckets per kind; past that, buckets that are full again (idle keys)
// are forgotten, and if none is, the quarter that will be full again soonest (forgetting refills a bucket,
// so the deepest-drained — an account under attack — are kept: a flood of new keys cannot reset them).
// Behind a proxy every client has the proxy's address: raise the per-client limit or put the proxy's own
// limit in front. Thread-safety: any thread.
#pragma once

#include <cstddef>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>

#include "svckit/middleware/rate_limit.hpp"
#include "svckit/status.hpp"

namespace bugtracker::users {

class LoginThrottle {
 public:
  struct Limit {
    double per_minute;  // sustained attempts; also the burst
  };
  explicit LoginThrottle(Limit per_account = {5}, Limit per_client = {30}, std::size_t max_keys = 100000);

  /// OK when this account may try a login from this peer ("host:port", or empty when unknown) now.
  svckit::Status admit(std::string_view email, std::string_view peer);
  /// OK when this peer may try a sign-up now (its client bucket is not empty); takes nothing.
  svckit::Status admit_signup(std::string_view peer);
  /// A sign-up from this peer found its email taken: it costs a token, as a login attempt does.
  void charge_conflict(std::string_view peer);

 private:
  class Buckets {
   public:
    Buckets(Limit limit, std::size_t max_keys) : limit_(limit), max_keys_(max_keys) {}
    bool take(const std::string& key, svckit::middleware::TokenBucket::Clock::duration* wait);
    bool available(const std::string& key, svckit::middleware::TokenBucket::Clock::duration* wait);

   private:
    void make_room(svckit::middleware::TokenBucket::Clock::time_point now);
    Limit limit_;
    std::size_t max_keys_;
    std::mutex mu_;
    std::unordered_map<std::string, svckit::middleware::TokenBucket> buckets_;
  };
  Buckets accounts_, clients_;
};

}  // namespace bugtracker::users
