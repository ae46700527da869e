#include "service.hpp"

#include <sodium.h>

#include <algorithm>
#include <chrono>
#include <stdexcept>

#include "../common/email.hpp"

namespace bugtracker::users {

namespace {
std::int64_t now_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch()).count();
}
svckit::Status storage_error(const std::exception& e) { return svckit::unavailable(std::string("storage: ") + e.what()); }
}  // namespace

UsersService::UsersService(std::shared_ptr<UserStore> store, svckit::BlockingPool& pool, SendEmail send_email,
                           std::shared_ptr<const svckit::auth::Hs256> jwt)
    : store_(std::move(store)), pool_(pool), send_email_(std::move(send_email)), jwt_(std::move(jwt)) {
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
  auto created = co_await svckit::run_blocking(pool_, [&]() -> svckit::Result<User> {
    try {
      if (!password.empty()) {
        // Argon2id, libsodium's interactive limits: memory-hard, ~64 MiB per hash.
        char hash[crypto_pwhash_STRBYTES];
        if (crypto_pwhash_str(hash, password.data(), password.size(), crypto_pwhash_OPSLIMIT_INTERACTIVE,
                              crypto_pwhash_MEMLIMIT_INTERACTIVE) != 0)
          return svckit::Status(svckit::StatusCode::ResourceExhausted, "password hashing ran out of memory");
        u.password_hash = hash;
      }
      return store_->create(u);
    } catch (const std::exception& e) {
      return storage_error(e);
    }
  });
  if (!created.ok()) co_return created.status();
  // Best effort now; if no notificator takes it, the queued welcome is retried in the background.
  (void)co_await send_welcome(ctx, created->id, created->email, 0);
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
      auto u = store_->by_email(email);
      if (!u || u->password_hash.empty() ||
          crypto_pwhash_str_verify(u->password_hash.c_str(), password.data(), password.size()) != 0)
        return std::optional<User>();
      return u;
    } catch (const std::exception& e) {
      return storage_error(e);
    }
  });
  if (!ok.ok()) co_return ok.status();
  if (!*ok) co_return svckit::Status(svckit::StatusCode::Unauthenticated, "wrong email or password");
  co_return jwt_->sign({.subject = std::to_string((*ok)->id), .email = (*ok)->email});
}

boost::asio::awaitable<bool> UsersService::send_welcome(const svckit::Context& ctx, std::int64_t user_id,
                                                        const std::string& email, int attempts) {
  pb::SendEmailRequest req;
  req.set_email(email);
  req.set_content("Welcome to the bug tracker, " + email + "!");
  svckit::Context call = ctx;
  call.set_timeout(std::chrono::seconds(2));
  auto r = co_await send_email_(call, req);
  try {
    if (r.ok()) {
      co_await svckit::run_blocking(pool_, [&] { store_->welcome_sent(user_id); });
      log_.info("welcome sent", {{"user_id", user_id}, {"message_id", r->id()}, {"request_id", ctx.request_id()}});
      co_return true;
    }
    auto backoff = std::min<std::int64_t>(60000, 500LL << std::min(attempts, 7));
    co_await svckit::run_blocking(pool_, [&] { store_->welcome_retry(user_id, attempts + 1, now_ms() + backoff); });
  } catch (const std::exception& e) {
    log_.error("cannot update the welcome queue", {{"user_id", user_id}, {"error", e.what()}});
  }
  log_.warn("welcome not sent yet; queued for retry",
            {{"user_id", user_id}, {"attempts", attempts + 1}, {"error", r.status().message()}});
  co_return false;
}

boost::asio::awaitable<int> UsersService::deliver_due_welcomes() {
  std::vector<PendingWelcome> due;
  try {
    due = co_await svckit::run_blocking(pool_, [&] { return store_->due_welcomes(now_ms(), 100); });
  } catch (const std::exception& e) {
    log_.error("cannot read the welcome queue", {{"error", e.what()}});
    co_return 0;
  }
  int sent = 0;
  for (const auto& w : due) {
    svckit::Context ctx;
    ctx.set_request_id(svckit::new_request_id());
    if (co_await send_welcome(ctx, w.user_id, w.email, w.attempts)) ++sent;
  }
  co_return sent;
}

}  // namespace bugtracker::users
