// users — storage: the users, and the welcome emails still to be sent (queued in the same transaction as
// the user, so a welcome is never lost even when no notificator is reachable; see queued_email.hpp).
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "queued_email.hpp"
#include "svckit/result.hpp"

namespace bugtracker::users {

struct User {
  std::int64_t id = 0;
  std::string email;
  std::string password_hash;  // Argon2id (libsodium's crypto_pwhash_str); empty: cannot log in
  std::int64_t created_ms = 0;
};

/// The welcome email's text.
inline std::string welcome_text(const std::string& email) { return "Welcome to the bug tracker, " + email + "!"; }

/// Thread-safety: every member may be called from any thread. Calls block (run them on a BlockingPool).
/// The email queue holds welcomes, keyed by user id.
class UserStore : public EmailQueue {
 public:
  virtual ~UserStore() = default;
  /// Stores the user (id assigned) and queues its welcome; AlreadyExists when the email is taken.
  virtual svckit::Result<User> create(User u) = 0;
  virtual std::optional<User> get(std::int64_t id) = 0;
  virtual std::optional<User> by_email(const std::string& email) = 0;

  /// "sqlite:PATH" or "memory:".
  static std::shared_ptr<UserStore> open(const std::string& store_url);
};

}  // namespace bugtracker::users
