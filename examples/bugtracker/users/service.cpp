#include "service.hpp"

#include <stdexcept>

#include "../common/email.hpp"
#include "../common/service_token.hpp"

namespace bugtracker::users {

namespace {
svckit::Status storage_error(const std::exception& e) { return svckit::unavailable(std::string("storage: ") + e.what()); }
}  // namespace

UsersService::UsersService(std::shared_ptr<UserStore> store, svckit::BlockingPool& pool,
                           std::shared_ptr<EmailSender> emails, std::shared_ptr<const svckit::auth::Hs256> jwt,
                           AccountLimits limits)
    : store_(std::move(store)),
      pool_(pool),
      throttle_(limits.per_account, limits.per_client, limits.tracked_keys),
      hasher_(limits.max_pending_hashes),
      emails_(std::move(emails)),
      jwt_(std::move(jwt)) {}

boost::asio::awaitable<svckit::Result<User>> UsersService::create(const svckit::Context& ctx, std::string email,
                                                                  std::string password) {
  if (auto why = email_problem(email); !why.empty()) co_return svckit::invalid_argument(why);
  if (!password.empty() && password.size() < 8) co_return svckit::invalid_argument("password must be at least 8 characters");
  if (password.size() > 1024) co_return svckit::invalid_argument("password is longer than 1024 characters");
  if (auto s = throttle_.admit_signup(ctx.peer()); !s.ok()) co_return s;
  User u;
  u.email = std::move(email);
  u.created_ms = now_ms();
  if (!password.empty()) {
    auto hash = co_await hasher_.hash(std::move(password));
    if (!hash.ok()) co_return hash.status();
    u.password_hash = std::move(*hash);
  }
  auto created = co_await svckit::run_blocking(pool_, [&]() -> svckit::Result<User> {
    try {
      return store_->create(u);
    } catch (const std::exception& e) {
      return storage_error(e);
    }
  });
  if (!created.ok()) {
    if (created.status().code() == svckit::StatusCode::AlreadyExists) throttle_.charge_conflict(ctx.peer());
    co_return created.status();
  }
  // Best effort now; if no notificator takes it, the queued welcome is retried in the background.
  // (A named local, not a braced temporary: GCC 12 destroys temporaries in co_await arguments twice.)
  QueuedEmail welcome{created->id, created->email, welcome_text(created->email), 0};
  (void)co_await emails_->send(ctx, std::move(welcome));
  co_return created;
}

boost::asio::awaitable<svckit::Result<User>> UsersService::get(const svckit::Context& ctx, std::int64_t id) {
  auto who = svckit::auth::bearer(*jwt_, ctx.metadata("authorization"));
  if (!who.ok()) co_return who.status();
  // A user's record (email included) is for that user, and for the tracker's services (bugs looks assignees
  // up); asked by anyone else, whether the id exists is not told either.
  if (who->subject != std::to_string(id) && !is_service(*who))
    co_return svckit::permission_denied("a user's record is only for that user");
  auto u = co_await svckit::run_blocking(pool_, [&]() -> svckit::Result<std::optional<User>> {
    try {
      return store_->get(id);
    } catch (const std::exception& e) {
      return storage_error(e);
    }
  });
  if (!u.ok()) co_return u.status();
  if (!*u) co_return svckit::Status(svckit::StatusCode::NotFound, "no user " + std::to_string(id));
  co_return **u;
}

boost::asio::awaitable<svckit::Result<std::string>> UsersService::login(const svckit::Context& ctx, std::string email,
                                                                       std::string password) {
  if (auto s = throttle_.admit(email, ctx.peer()); !s.ok()) co_return s;
  auto found = co_await svckit::run_blocking(pool_, [&]() -> svckit::Result<std::optional<User>> {
    try {
      return store_->by_email(email);
    } catch (const std::exception& e) {
      return storage_error(e);
    }
  });
  if (!found.ok()) co_return found.status();
  // Checked whether or not the account exists: an unknown email costs the same Argon2id check.
  std::optional<std::string> hash;
  if (*found) hash = (*found)->password_hash;
  auto match = co_await hasher_.verify(std::move(hash), std::move(password));
  if (!match.ok()) co_return match.status();
  if (!*match) co_return svckit::Status(svckit::StatusCode::Unauthenticated, "wrong email or password");
  co_return jwt_->sign({.subject = std::to_string((**found).id), .email = (**found).email});
}

}  // namespace bugtracker::users
