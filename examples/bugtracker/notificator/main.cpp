// notificator — gRPC SendEmail: stores every message in a durable outbox, answers with its id, and
// delivers by SMTP when --smtp-url is given. Registers in etcd as "notificator" with --registry.
#include <iostream>

#include <CLI/CLI.hpp>

#include "middleware.hpp"
#include "service.hpp"
#include "smtp_sender.hpp"
#include "../common/store_url.hpp"
#include "svckit/address.hpp"
#include "svckit/debug.hpp"
#include "svckit/runner.hpp"
#include "svckit/sd/announce.hpp"
#include "svckit/transport/grpc/server.hpp"
#include "svckit/transport/http/server.hpp"
#include "outbox_pruner.hpp"
#include "transport.hpp"

namespace nt = bugtracker::notificator;

int main(int argc, char** argv) {
  svckit::RunnerOptions opts;
  opts.service = "notificator";
  opts.grpc_addr = "127.0.0.1:8300";  // notificator's own defaults (--http-addr is unused: gRPC only)
  opts.debug_addr = "127.0.0.1:9300";
  std::string store = "sqlite:notificator.db";
  nt::SmtpOptions smtp;
  CLI::App app{"notificator: stores emails in an outbox and delivers them over SMTP (svckit bug tracker)"};
  svckit::add_runner_flags(app, opts);
  bugtracker::EndpointOptions limits;
  bugtracker::add_endpoint_flags(app, limits);
  app.add_option("--store", store, "outbox storage: sqlite:PATH or memory:")->capture_default_str();
  app.add_option("--smtp-url", smtp.url, "deliver through this SMTP server, e.g. smtp://127.0.0.1:2525 (default: keep in the outbox)");
  app.add_option("--smtp-from", smtp.from, "sender address")->capture_default_str();
  long long give_up_s = smtp.give_up_after.count(), backoff_initial_ms = smtp.backoff_initial.count(),
            backoff_max_ms = smtp.backoff_max.count();
  app.add_option("--smtp-give-up-after", give_up_s, "seconds a message may stay undeliverable before it is dead")
      ->check(CLI::PositiveNumber)
      ->capture_default_str();
  app.add_option("--smtp-backoff-initial-ms", backoff_initial_ms, "first retry delay (doubles per attempt, with jitter)")
      ->check(CLI::PositiveNumber)
      ->capture_default_str();
  app.add_option("--smtp-backoff-max-ms", backoff_max_ms, "longest retry delay")->check(CLI::PositiveNumber)->capture_default_str();
  long long retention_s = 7 * 24 * 3600;
  app.add_option("--sent-retention-s", retention_s, "delete sent messages this many seconds after they were stored (0: keep)")
      ->check(CLI::NonNegativeNumber)
      ->capture_default_str();
  std::string outbox_token;
  app.add_option("--outbox-token", outbox_token,
                 "serve GET /outbox on the debug listener to callers with Authorization: Bearer TOKEN (16+ characters; "
                 "default: $NOTIFICATOR_OUTBOX_TOKEN; none: /outbox is off)")
      ->envname("NOTIFICATOR_OUTBOX_TOKEN")
      ->check([](const std::string& t) { return t.size() >= 16 ? std::string() : std::string("must be 16+ characters"); });
  bool redrive = false;
  app.add_flag("--redrive-dead", redrive,
               "put every dead message in --store back to pending (a running notificator then delivers them), "
               "print how many, and exit");
  CLI11_PARSE(app, argc, argv);
  smtp.give_up_after = std::chrono::seconds(give_up_s);
  smtp.backoff_initial = std::chrono::milliseconds(backoff_initial_ms);
  smtp.backoff_max = std::chrono::milliseconds(std::max(backoff_max_ms, backoff_initial_ms));

  std::shared_ptr<nt::Outbox> outbox;
  try {
    outbox = nt::Outbox::open(store);
  } catch (const std::exception& e) {
    std::cerr << "error: " << e.what() << "\n";
    return 2;
  }
  if (redrive) {
    const auto now = std::chrono::duration_cast<std::chrono::milliseconds>(
                         std::chrono::system_clock::now().time_since_epoch()).count();
    std::cout << "re-driven: " << outbox->redrive_dead(now) << " dead messages are pending again\n";
    return 0;
  }
  svckit::Runner runner(opts);
  svckit::BlockingPool db_pool(bugtracker::store_threads(store));
  std::unique_ptr<nt::SmtpSender> sender;
  if (!smtp.url.empty()) sender = std::make_unique<nt::SmtpSender>(outbox, smtp);
  auto svc = std::make_shared<nt::NotificatorService>(outbox, db_pool, [s = sender.get()] {
    if (s) s->wake();
  });

  auto grpc = std::make_shared<svckit::grpc::Server>(runner.io(), svckit::grpc::ServerOptions{.address = opts.grpc_addr, .tls = runner.server_tls()});
  // The generated bindings (notificator.svckit.h), SendEmail behind the tracker's middleware.
  auto endpoints = pb::notificator::make_endpoints(svc);
  endpoints.send_email = bugtracker::instrumented("notificator", limits, "SendEmail", std::move(endpoints.send_email));
  pb::notificator::add_grpc_methods(*grpc, endpoints);
  svckit::http::Router debug_routes;
  nt::add_debug_routes(debug_routes, outbox, db_pool, outbox_token);
  if (retention_s > 0) nt::prune_in_background(outbox, db_pool, std::chrono::seconds(retention_s), runner);
  runner.add(grpc);
  svckit::serve_debug(runner, std::move(debug_routes));  // /metrics, /healthz, /outbox
  try {
    svckit::sd::announce(runner, pb::notificator::kServiceName,
                         [&] { return svckit::bound_address(opts.grpc_addr, grpc->port()); });
  } catch (const std::invalid_argument& e) {
    std::cerr << "error: " << e.what() << "\n";
    return 2;
  }
  if (sender) runner.on_started([&] { sender->start(); });
  int rc = runner.run();
  sender.reset();  // finishes a delivery in progress
  return rc;
}
