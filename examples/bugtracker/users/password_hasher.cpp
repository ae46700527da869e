#include "password_hasher.hpp"

#include <sodium.h>

#include <stdexcept>


namespace bugtracker::users {

namespace {

svckit::Status queue_full(std::size_t max) {
  return svckit::unavailable("too many password checks in progress (" + std::to_string(max) + "); try again shortly")
      .with_retry_after(std::chrono::seconds(1));
}

std::optional<std::string> argon2id(const std::string& password) {
  char out[crypto_pwhash_STRBYTES];
  if (crypto_pwhash_str(out, password.data(), password.size(), crypto_pwhash_OPSLIMIT_INTERACTIVE,
                        crypto_pwhash_MEMLIMIT_INTERACTIVE) != 0)
    return std::nullopt;
  return std::string(out);
}

// Gives the queue place back when the hash is done, however the coroutine ends.
struct Place {
  std::atomic<std::size_t>& pending;
  ~Place() { pending.fetch_sub(1); }
};

}  // namespace

PasswordHasher::PasswordHasher(std::size_t max_pending, std::size_t threads) : max_pending_(max_pending), pool_(threads) {
  if (sodium_init() < 0) throw std::runtime_error("libsodium failed to initialise");
  char secret[33];
  randombytes_buf(secret, 32);
  for (auto& c : secret) c = static_cast<char>('a' + (static_cast<unsigned char>(c) % 26));
  secret[32] = '\0';
  auto decoy = argon2id(secret);
  if (!decoy) throw std::runtime_error("not enough memory for Argon2id");
  decoy_ = std::move(*decoy);
}

bool PasswordHasher::admit() {
  if (pending_.fetch_add(1) < max_pending_) return true;
  pending_.fetch_sub(1);
  refused_.inc();
  return false;
}

boost::asio::awaitable<svckit::Result<std::string>> PasswordHasher::hash(std::string password) {
  if (!admit()) co_return queue_full(max_pending_);
  Place place{pending_};
  auto h = co_await svckit::run_blocking(pool_, [&] { return argon2id(password); });
  if (!h) co_return svckit::Status(svckit::StatusCode::ResourceExhausted, "password hashing ran out of memory");
  co_return std::move(*h);
}

boost::asio::awaitable<svckit::Result<bool>> PasswordHasher::verify(std::optional<std::string> hash, std::string password) {
  if (!admit()) co_return queue_full(max_pending_);
  Place place{pending_};
  checks_.inc();
  const bool known = hash.has_value() && !hash->empty();
  const std::string& against = known ? *hash : decoy_;
  bool match = co_await svckit::run_blocking(pool_, [&] {
    return crypto_pwhash_str_verify(against.c_str(), password.data(), password.size()) == 0;
  });
  co_return known && match;
}

}  // namespace bugtracker::users
