#include "service.hpp"

#include <sodium.h>

#include <stdexcept>

#include "../common/email.hpp"

namespace bugtracker::users {

namespace {
svckit::Status storage_error(const std::exception& e) { return svckit::unavailable(std::string("storage: ") + e.what()); }
}  // namespace

UsersService::UsersService(std::shared_ptr<UserStore> store, svckit::BlockingPool& pool,
                           std::shared_ptr<EmailSender> emails, std::shared_ptr<const svckit::auth::Hs256> jwt)
    : store_(std::move(store)), pool_(pool), emails_(std::move(emails)), jwt_(std::move(jwt)) {
  if (sodium_init() < 0) throw std::runtime_error("libsodium failed to initialise");
}

boost::asio::awaitable<svckit::Result<User>> UsersService::create(const svckit::Context& ctx, std::string email,
                                                                  std::string password) {
  if (auto why = email_problem(email); !why.empty()) co_return svckit::invalid_argument(why);
  if (!password.empty() && password.size() < 8) co_return svckit::invalid_argument("password must be at least 8 characters");
  if (password.size() > 1024) co_return svckit::invalid_argument("password is longer than 1024 characters");
  User u;
  u.email = std::move(email);
  u.created_ms = now_ms();
  if (!password.empty()) {
    // Argon2id, libsodium's interactive limits: memory-hard, ~64 MiB and ~0.1 s of CPU per hash, so it runs
    // on its own pool, never on an io thread or in the way of store calls.
    bool hashed = co_await svckit::run_blocking(hash_pool_, [&] {
      char hash[crypto_pwhash_STRBYTES];
      if (crypto_pwhash_str(hash, password.data(), password.size(), crypto_pwhash_OPSLIMIT_INTERACTIVE,
                            crypto_pwhash_MEMLIMIT_INTERACTIVE) != 0)
        return false;
      u.password_hash = hash;
      return true;
    });
    if (!hashed) co_return svckit::Status(svckit::StatusCode::ResourceExhausted, "password hashing ran out of memory");
  }
  auto created = co_await svckit::run_blocking(pool_, [&]() -> svckit::Result<User> {
    try {
      return store_->create(u);
    } catch (const std::exception& e) {
      return storage_error(e);
    }
  });
  if (!created.ok()) co_return created.status();
  // Best effort now; if no notificator takes it, the queued welcome is retried in the background.
  // (A named local, not a braced temporary: GCC 12 destroys temporaries in co_await arguments twice.)
  QueuedEmail welcome{created->id, created->email, welcome_text(created->email), 0};
  (void)co_await emails_->send(ctx, std::move(welcome));
  co_return created;
}

boost::asio::awaitable<svckit::Result<User>> UsersService::get(const svckit::Context&, std::int64_t id) {
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

boost::asio::awaitable<svckit::Result<std::string>> UsersService::login(const svckit::Context&, std::string email,
                                                                       std::string password) {
  auto ok = co_await svckit::run_blocking(pool_, [&]() -> svckit::Result<std::optional<User>> {
    try {
      return store_->by_email(email);
    } catch (const std::exception& e) {
      return storage_error(e);
    }
  });
  if (!ok.ok()) co_return ok.status();
  if (*ok && !(*ok)->password_hash.empty()) {
    bool match = co_await svckit::run_blocking(hash_pool_, [&] {
      return crypto_pwhash_str_verify((*ok)->password_hash.c_str(), password.data(), password.size()) == 0;
    });
    if (!match) ok->reset();
  } else {
    ok->reset();
  }
  if (!*ok) co_return svckit::Status(svckit::StatusCode::Unauthenticated, "wrong email or password");
  co_return jwt_->sign({.subject = std::to_string((*ok)->id), .email = (*ok)->email});
}

}  // namespace bugtracker::users
