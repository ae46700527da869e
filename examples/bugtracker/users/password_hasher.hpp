// users — Argon2id hashing and verification on a pool of their own, with a bounded queue, at one cost
// whether or not the account exists.
//
// Each hash or check takes ~64 MiB and ~0.1 s of CPU (libsodium's interactive limits), so:
//  - it runs on its own small pool, never on an io thread or in the way of store calls;
//  - at most `max_pending` wait or run at once: beyond that the caller gets UNAVAILABLE with Retry-After at
//    once (a login flood makes logins answer 503, while every other route keeps its speed);
//  - checking a password for an unknown account, or one without a password, runs the same Argon2id check
//    against a hash made at start-up, so response time does not tell which emails have accounts.
// Thread-safety: any number of coroutines may share one hasher.
#pragma once

#include <atomic>
#include <cstddef>
#include <optional>
#include <string>

#include <boost/asio/awaitable.hpp>

#include "svckit/blocking.hpp"
#include "svckit/metrics/registry.hpp"
#include "svckit/result.hpp"

namespace bugtracker::users {

class PasswordHasher {
 public:
  explicit PasswordHasher(std::size_t max_pending = 32, std::size_t threads = 2);

  /// The encoded Argon2id hash of password; UNAVAILABLE when the queue is full, RESOURCE_EXHAUSTED when the
  /// machine has no memory for it.
  boost::asio::awaitable<svckit::Result<std::string>> hash(std::string password);
  /// Whether password matches `hash`; with no hash (unknown account) the same work is done and the answer
  /// is false. UNAVAILABLE when the queue is full.
  boost::asio::awaitable<svckit::Result<bool>> verify(std::optional<std::string> hash, std::string password);

  /// Hashes waiting or running now.
  std::size_t pending() const { return pending_.load(); }

 private:
  bool admit();  // takes a queue place, or false when none is free
  std::size_t max_pending_;
  std::atomic<std::size_t> pending_{0};
  std::string decoy_;  // a hash of a random password: what unknown accounts are checked against
  svckit::metrics::Counter& checks_ = svckit::metrics::default_registry()
                                          .counter("users_password_checks_total",
                                                   "Argon2id password checks run for logins (known and unknown accounts alike).")
                                          .with({});
  svckit::metrics::Counter& refused_ = svckit::metrics::default_registry()
                                           .counter("users_password_queue_full_total",
                                                    "Password hashes and checks refused with 503: the hashing queue was full.")
                                           .with({});
  svckit::BlockingPool pool_;
};

}  // namespace bugtracker::users
