// users — storage: the users, and the welcome emails still to be sent (queued in the same transaction as
// the user, so a welcome is never lost even when no notificator is reachable).
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "svckit/result.hpp"

namespace bugtracker::users {

struct User {
  std::int64_t id = 0;
  std::string email;
  std::string password_hash;  // Argon2id (libsodium's crypto_pwhash_str); empty: cannot log in
  std::int64_t created_ms = 0;
};

/// A new user's welcome becomes due this long after creation: the service sends it inline first, and the
/// background retry loop must not race that attempt.
inline constexpr std::int64_t kWelcomeGraceMs = 5000;

struct PendingWelcome {
  std::int64_t user_id = 0;
  std::string email;
  int attempts = 0;
};

/// Thread-safety: every member may be called from any thread. Calls block (run them on a BlockingPool).
class UserStore {
 public:
  virtual ~UserStore() = default;
  /// Stores the user (id assigned) and queues its welcome; AlreadyExists when the email is taken.
  virtual svckit::Result<User> create(User u) = 0;
  virtual std::optional<User> get(std::int64_t id) = 0;
  virtual std::optional<User> by_email(const std::string& email) = 0;
  /// Queued welcomes whose next attempt is due, oldest first.
  virtual std::vector<PendingWelcome> due_welcomes(std::int64_t now_ms, int limit) = 0;
  virtual void welcome_sent(std::int64_t user_id) = 0;
  virtual void welcome_retry(std::int64_t user_id, int attempts, std::int64_t next_attempt_ms) = 0;

  /// "sqlite:PATH" or "memory:".
  static std::shared_ptr<UserStore> open(const std::string& store_url);
};

}  // namespace bugtracker::users
