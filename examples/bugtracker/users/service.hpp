// users — the service layer: accounts, passwords, tokens, and the welcome email through notificator.
//
// Welcome delivery (the documented choice, see queued_email.hpp): the user and its welcome are stored in one
// transaction, then the welcome is sent at once through the balanced, retrying notificator client. If that
// fails (every notificator down), the user is still created and answered 201; the welcome stays queued and
// the EmailSender's background loop retries it with backoff until a notificator accepts it.
#pragma once

#include <memory>
#include <string>

#include <boost/asio/awaitable.hpp>

#include "login_throttle.hpp"
#include "password_hasher.hpp"
#include "store.hpp"
#include "svckit/auth/jwt.hpp"
#include "svckit/blocking.hpp"
#include "svckit/endpoint.hpp"
#include "svckit/log.hpp"

namespace bugtracker::users {

/// How hard accounts are to attack (flags --login-per-account, --login-per-client, --max-pending-hashes).
struct AccountLimits {
  LoginThrottle::Limit per_account{5};   // login attempts per minute per email
  LoginThrottle::Limit per_client{30};   // login attempts per minute per client address
  std::size_t max_pending_hashes = 32;   // Argon2id hashes waiting or running; more get 503
  std::size_t tracked_keys = 100000;     // throttle buckets kept per kind (accounts, clients): the memory bound
};

class UsersService {
 public:
  UsersService(std::shared_ptr<UserStore> store, svckit::BlockingPool& pool, std::shared_ptr<EmailSender> emails,
               std::shared_ptr<const svckit::auth::Hs256> jwt, AccountLimits limits = {});

  /// INVALID_ARGUMENT for a bad email or a password shorter than 8 characters (when one is given);
  /// ALREADY_EXISTS for a taken email, which costs the client a login attempt (LoginThrottle), and
  /// RESOURCE_EXHAUSTED with Retry-After once it has none left. An empty password makes an account that cannot log in (/create).
  boost::asio::awaitable<svckit::Result<User>> create(const svckit::Context& ctx, std::string email, std::string password);
  /// Needs a valid token (Authorization: Bearer, from the Context): UNAUTHENTICATED without one;
  /// PERMISSION_DENIED unless it is that user's own or a service's (is_service), existing id or not.
  boost::asio::awaitable<svckit::Result<User>> get(const svckit::Context& ctx, std::int64_t id);
  /// A signed token for the user; UNAUTHENTICATED for an unknown email or a wrong password (same message,
  /// same cost: see PasswordHasher); RESOURCE_EXHAUSTED with Retry-After past the LoginThrottle's limits;
  /// UNAVAILABLE when the hashing queue is full.
  boost::asio::awaitable<svckit::Result<std::string>> login(const svckit::Context& ctx, std::string email, std::string password);

 private:
  std::shared_ptr<UserStore> store_;
  svckit::BlockingPool& pool_;    // store calls
  LoginThrottle throttle_;
  PasswordHasher hasher_;  // Argon2id, on a pool and a bounded queue of its own
  std::shared_ptr<EmailSender> emails_;
  std::shared_ptr<const svckit::auth::Hs256> jwt_;
  svckit::log::Logger log_{"users"};
};

}  // namespace bugtracker::users
