// bugs — HTTP/JSON bug service. Filing and changing bugs needs a token from users (shared JWT secret);
// assigning a bug emails the assignee through notificator, found in the registry (--registry), balanced
// over its instances, retried elsewhere; queued when none answers.
#include <iostream>

#include <CLI/CLI.hpp>

#include "../common/store_url.hpp"
#include "svckit/address.hpp"
#include "svckit/debug.hpp"
#include "svckit/runner.hpp"
#include "svckit/sd/announce.hpp"
#include "svckit/sd/registry.hpp"
#include "svckit/transport/http/server.hpp"
#include "transport.hpp"
#include "user_directory.hpp"

namespace bg = bugtracker::bugs;

int main(int argc, char** argv) {
  svckit::RunnerOptions opts;
  opts.service = "bugs";
  opts.http_addr = "127.0.0.1:8200";
  opts.grpc_addr = "127.0.0.1:0";  // unused: bugs is HTTP only
  opts.debug_addr = "127.0.0.1:9200";
  std::string store = "sqlite:bugs.db";
  std::string jwt_secret;
  std::string notificator = "notificator";
  std::string users = "users";
  std::string balancer = "p2c";
  CLI::App app{"bugs: filing, listing and assigning bugs (svckit bug tracker)"};
  svckit::add_runner_flags(app, opts);
  bugtracker::EndpointOptions limits;
  bugtracker::add_endpoint_flags(app, limits);
  app.add_option("--store", store, "storage: sqlite:PATH or memory:")->capture_default_str();
  app.add_option("--jwt-secret", jwt_secret, "HS256 secret shared with users, 32+ bytes (default: $SVCKIT_JWT_SECRET)");
  app.add_option("--notificator", notificator, "service name of the notificator in the registry")->capture_default_str();
  app.add_option("--users", users, "service name of users in the registry (assignees are looked up there)")
      ->capture_default_str();
  app.add_option("--balancer", balancer, "round_robin|random|p2c|weighted|consistent_hash")->capture_default_str();
  CLI11_PARSE(app, argc, argv);

  std::shared_ptr<bg::BugStore> bugs;
  std::shared_ptr<svckit::auth::Hs256> jwt;
  std::shared_ptr<svckit::sd::Registry> registry;
  try {
    jwt = std::make_shared<svckit::auth::Hs256>(svckit::auth::secret_from(jwt_secret));
    bugs = bg::BugStore::open(store);
    if (opts.registry.empty()) throw std::invalid_argument("--registry is required (where to find notificator and users)");
    registry = svckit::sd::Registry::open(opts.registry);
  } catch (const std::exception& e) {
    std::cerr << "error: " << e.what() << "\n";
    return 2;
  }

  svckit::Runner runner(opts);
  svckit::BlockingPool db_pool(bugtracker::store_threads(store));
  // Assignment emails go through notificator (discovered, balanced, retried); unsent ones stay queued.
  auto emails = std::make_shared<bugtracker::EmailSender>(
      bugtracker::notificator_client(registry, notificator, balancer, runner), db_pool, bugs, svckit::log::Logger("bugs"), "bugs");
  bugtracker::EmailSender::run_in_background(emails, runner);
  auto svc = std::make_shared<bg::BugsService>(bugs, db_pool, emails, bg::users_directory(registry, users, balancer, runner));

  svckit::http::Router router;
  bg::add_http_routes(router, svc, jwt, limits);
  auto http = std::make_shared<svckit::http::Server>(runner.io(), svckit::http::ServerOptions{.address = opts.http_addr, .tls = runner.server_tls()},
                                                     std::move(router));
  runner.add(http);
  svckit::serve_debug(runner);  // /metrics, /healthz on --debug-addr
  try {
    svckit::sd::announce(runner, "bugs", [&] {
      return svckit::split_host_port(opts.http_addr).first + ":" + std::to_string(http->port());
    });
  } catch (const std::invalid_argument& e) {
    std::cerr << "error: " << e.what() << "\n";
    return 2;
  }
  return runner.run();
}
