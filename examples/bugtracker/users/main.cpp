// users — HTTP/JSON accounts service. Creating a user sends a welcome email through notificator, found in
// the registry (--registry), balanced over its instances, retried elsewhere; queued when none answers.
#include "../common/api_service.hpp"
#include "service.hpp"
#include "transport.hpp"

namespace us = bugtracker::users;

namespace {

void add_account_flags(CLI::App& flags, us::AccountLimits& a) {
  flags.add_option("--login-per-account", a.per_account.per_minute, "login attempts per minute per email (also the burst) before 429")
      ->check(CLI::PositiveNumber)
      ->capture_default_str();
  flags.add_option("--login-per-client", a.per_client.per_minute,
                   "login attempts (and sign-ups of taken emails) per minute per client address (also the burst) before 429")
      ->check(CLI::PositiveNumber)
      ->capture_default_str();
  flags.add_option("--max-pending-hashes", a.max_pending_hashes, "password hashes waiting or running before logins and sign-ups get 503")
      ->check(CLI::PositiveNumber)
      ->capture_default_str();
  flags.add_option("--login-tracked-keys", a.tracked_keys,
                   "login throttle buckets kept per kind (emails, client addresses); past it the soonest-refilled are forgotten")
      ->check(CLI::Range(std::size_t{4}, std::size_t{100000000}))
      ->capture_default_str();
}

}  // namespace

int main(int argc, char** argv) {
  svckit::App app("users", "users: accounts, login tokens, welcome emails (svckit bug tracker)");
  app.serve_http("127.0.0.1:8100").debug_address("127.0.0.1:9100").require_registry("where to find notificator");
  bugtracker::ApiOptions api{.store = "sqlite:users.db"};
  bugtracker::add_api_flags(app.flags(), api, "HS256 secret, 32+ bytes (default: $SVCKIT_JWT_SECRET)");
  us::AccountLimits accounts;
  add_account_flags(app.flags(), accounts);
  return app.main(argc, argv, [&] {
    auto jwt = bugtracker::jwt_key(api);
    auto users = us::UserStore::open(api.store);
    auto& db_pool = bugtracker::store_pool(app, api);
    auto emails = bugtracker::email_sender(app, api, db_pool, users, "users");
    us::add_http_routes(app.http(), std::make_shared<us::UsersService>(users, db_pool, emails, jwt, accounts), api.limits);
  });
}
