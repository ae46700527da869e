// users — HTTP/JSON accounts service. Creating a user sends a welcome email through notificator, found in
// the registry (--registry), balanced over its instances, retried elsewhere; queued when none answers.
#include <iostream>

#include <CLI/CLI.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/steady_timer.hpp>

#include "svckit/address.hpp"
#include "svckit/runner.hpp"
#include "svckit/sd/announce.hpp"
#include "svckit/sd/registry.hpp"
#include "svckit/sd/retry.hpp"
#include "svckit/transport/grpc/client.hpp"
#include "svckit/transport/http/server.hpp"
#include "transport.hpp"

namespace us = bugtracker::users;

int main(int argc, char** argv) {
  svckit::RunnerOptions opts;
  opts.http_addr = "127.0.0.1:8100";
  opts.grpc_addr = "127.0.0.1:0";  // unused: users is HTTP only
  opts.debug_addr = "127.0.0.1:9100";
  std::string store = "sqlite:users.db";
  std::string jwt_secret;
  std::string notificator = "notificator";
  std::string balancer = "p2c";
  CLI::App app{"users: accounts, login tokens, welcome emails (svckit bug tracker)"};
  svckit::add_runner_flags(app, opts);
  app.add_option("--store", store, "storage: sqlite:PATH or memory:")->capture_default_str();
  app.add_option("--jwt-secret", jwt_secret, "HS256 secret, 32+ bytes (default: $SVCKIT_JWT_SECRET)");
  app.add_option("--notificator", notificator, "service name of the notificator in the registry")->capture_default_str();
  app.add_option("--balancer", balancer, "round_robin|random|p2c|weighted|consistent_hash")->capture_default_str();
  CLI11_PARSE(app, argc, argv);

  std::shared_ptr<us::UserStore> users;
  std::shared_ptr<svckit::auth::Hs256> jwt;
  std::shared_ptr<svckit::sd::Registry> registry;
  try {
    jwt = std::make_shared<svckit::auth::Hs256>(svckit::auth::secret_from(jwt_secret));
    users = us::UserStore::open(store);
    if (opts.registry.empty()) throw std::invalid_argument("--registry is required (where to find notificator)");
    registry = svckit::sd::Registry::open(opts.registry);
  } catch (const std::exception& e) {
    std::cerr << "error: " << e.what() << "\n";
    return 2;
  }

  svckit::Runner runner(opts);
  svckit::BlockingPool db_pool(2);
  // notificator: every registered instance, one gRPC channel each, balanced, retried on another instance.
  auto notificators = svckit::sd::Endpointer<pb::SendEmailRequest, pb::SendEmailReply>::create(
      registry->instancer(notificator),
      [](const svckit::sd::Instance& i) -> svckit::Result<us::SendEmail> {
        return svckit::grpc::client_endpoint<pb::SendEmailRequest, pb::SendEmailReply>(
            svckit::grpc::make_channel(i.address), "/pb.Notificator/SendEmail");
      },
      svckit::sd::make_balancer(balancer), runner.io().context(0).get_executor());
  auto send_email = svckit::sd::balanced(notificators, {.max_attempts = 3, .attempt_timeout = std::chrono::milliseconds(1000)});
  auto svc = std::make_shared<us::UsersService>(users, db_pool, send_email, jwt);

  svckit::http::Router router;
  us::add_http_routes(router, svc);
  auto http = std::make_shared<svckit::http::Server>(runner.io(), svckit::http::ServerOptions{.address = opts.http_addr},
                                                     std::move(router));
  runner.add(http);
  try {
    svckit::sd::announce(runner, "users", [&] {
      return svckit::split_host_port(opts.http_addr).first + ":" + std::to_string(http->port());
    });
  } catch (const std::invalid_argument& e) {
    std::cerr << "error: " << e.what() << "\n";
    return 2;
  }
  // Queued welcomes (no notificator answered when the user was created) are retried every second.
  auto stop = std::make_shared<std::atomic<bool>>(false);
  runner.on_started([&, stop] {
    boost::asio::co_spawn(runner.io().context(0).get_executor(), [svc, stop, ex = runner.io().context(0).get_executor()]() -> boost::asio::awaitable<void> {
      boost::asio::steady_timer t(ex);
      while (!*stop) {
        t.expires_after(std::chrono::seconds(1));
        co_await t.async_wait(boost::asio::use_awaitable);
        if (!*stop) co_await svc->deliver_due_welcomes();
      }
    }, boost::asio::detached);
  });
  runner.on_shutdown([stop] { *stop = true; });
  return runner.run();
}
