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

#include "store.hpp"
#include "svckit/auth/jwt.hpp"
#include "svckit/blocking.hpp"
#include "svckit/endpoint.hpp"
#include "svckit/log.hpp"

namespace bugtracker::users {

class UsersService {
 public:
  UsersService(std::shared_ptr<UserStore> store, svckit::BlockingPool& pool, std::shared_ptr<EmailSender> emails,
               std::shared_ptr<const svckit::auth::Hs256> jwt);

  /// INVALID_ARGUMENT for a bad email or a password shorter than 8 characters (when one is given);
  /// ALREADY_EXISTS for a taken email. An empty password makes an account that cannot log in (/create).
  boost::asio::awaitable<svckit::Result<User>> create(const svckit::Context& ctx, std::string email, std::string password);
  boost::asio::awaitable<svckit::Result<User>> get(const svckit::Context& ctx, std::int64_t id);
  /// A signed token for the user; UNAUTHENTICATED for an unknown email or a wrong password (same message).
  boost::asio::awaitable<svckit::Result<std::string>> login(const svckit::Context& ctx, std::string email, std::string password);

 private:
  std::shared_ptr<UserStore> store_;
  svckit::BlockingPool& pool_;    // store calls
  svckit::BlockingPool hash_pool_{2};  // Argon2id hashing and verification (CPU-bound)
  std::shared_ptr<EmailSender> emails_;
  std::shared_ptr<const svckit::auth::Hs256> jwt_;
  svckit::log::Logger log_{"users"};
};

}  // namespace bugtracker::users
