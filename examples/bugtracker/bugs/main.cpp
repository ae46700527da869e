// bugs — HTTP/JSON bug service. Filing and changing bugs needs a token from users (shared JWT secret);
// assigning a bug emails the assignee through notificator, found in the registry (--registry), balanced
// over its instances, retried elsewhere; queued when none answers.
#include "../common/api_service.hpp"
#include "service.hpp"
#include "transport.hpp"
#include "user_directory.hpp"

namespace bg = bugtracker::bugs;

int main(int argc, char** argv) {
  svckit::App app("bugs", "bugs: filing, listing and assigning bugs (svckit bug tracker)");
  app.serve_http("127.0.0.1:8200").debug_address("127.0.0.1:9200").require_registry("where to find notificator and users");
  bugtracker::ApiOptions api{.store = "sqlite:bugs.db"};
  bugtracker::add_api_flags(app.flags(), api, "HS256 secret shared with users, 32+ bytes (default: $SVCKIT_JWT_SECRET)");
  std::string users = "users";
  app.flags().add_option("--users", users, "service name of users in the registry (assignees are looked up there)")->capture_default_str();
  std::string balancer = "p2c";
  app.flags()
      .add_option("--balancer", balancer, "round_robin|random|p2c|weighted|consistent_hash, for calls to users")
      ->capture_default_str();
  return app.main(argc, argv, [&] {
    auto jwt = bugtracker::jwt_key(api);
    auto bugs = bg::BugStore::open(api.store);
    auto& db_pool = bugtracker::store_pool(app, api);
    auto emails = bugtracker::email_sender(app, api, db_pool, bugs, "bugs");
    auto directory = bg::users_directory(app.registry(), users, balancer, app.runner(), jwt);
    bg::add_http_routes(app.http(), std::make_shared<bg::BugsService>(bugs, db_pool, emails, directory), jwt, api.limits);
  });
}
