// notificator — gRPC SendEmail: stores every message in a durable outbox, answers with its id, and
// delivers by SMTP when --smtp-url is given; WatchDeliveries streams the delivery of messages. Registers as
// "notificator" with --registry.
#include <iostream>

#include "../common/store_url.hpp"
#include "middleware.hpp"
#include "outbox_pruner.hpp"
#include "service.hpp"
#include "smtp_sender.hpp"
#include "svckit/app.hpp"
#include "svckit/transport/grpc/server.hpp"
#include "transport.hpp"

namespace nt = bugtracker::notificator;

namespace {

// --redrive-dead: a maintenance run on the store, not a server.
int redrive_dead(nt::Outbox& outbox) {
  const auto now = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch()).count();
  std::cout << "re-driven: " << outbox.redrive_dead(now) << " dead messages are pending again\n";
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  svckit::App app(pb::notificator::kServiceName,
                  "notificator: stores emails in an outbox and delivers them over SMTP (svckit bug tracker)");
  app.serve_grpc("127.0.0.1:8300").debug_address("127.0.0.1:9300");
  bugtracker::EndpointOptions limits;
  bugtracker::add_endpoint_flags(app.flags(), limits);
  std::string store = "sqlite:notificator.db";
  app.flags().add_option("--store", store, "outbox storage: sqlite:PATH or memory:")->capture_default_str();
  nt::SmtpOptions smtp;
  nt::add_smtp_flags(app.flags(), smtp);
  long long retention_s = 7 * 24 * 3600;
  app.flags()
      .add_option("--sent-retention-s", retention_s, "delete sent messages this many seconds after they were stored (0: keep)")
      ->check(CLI::NonNegativeNumber)
      ->capture_default_str();
  std::string outbox_token;
  app.flags()
      .add_option("--outbox-token", outbox_token,
                  "serve GET /outbox on the debug listener to callers with Authorization: Bearer TOKEN (16+ characters; "
                  "default: $NOTIFICATOR_OUTBOX_TOKEN; none: /outbox is off)")
      ->envname("NOTIFICATOR_OUTBOX_TOKEN")
      ->check([](const std::string& t) { return t.size() >= 16 ? std::string() : std::string("must be 16+ characters"); });
  bool redrive = false;
  app.flags().add_flag("--redrive-dead", redrive,
                       "put every dead message in --store back to pending (a running notificator then delivers them), "
                       "print how many, and exit (for sqlite:; a running notificator re-drives its own store, "
                       "memory: too, on POST /outbox/redrive on the debug listener)");
  return app.main(argc, argv, [&]() -> std::optional<int> {
    if (redrive && store.starts_with("memory:")) {
      std::cerr << "--redrive-dead needs a sqlite: store (a memory: outbox lives in its process: "
                   "POST /outbox/redrive on the running notificator's debug listener)\n";
      return 2;
    }
    auto outbox = nt::Outbox::open(store);
    if (redrive) return redrive_dead(*outbox);
    auto& db_pool = app.keep(std::make_shared<svckit::BlockingPool>(bugtracker::store_threads(store)));
    auto feed = std::make_shared<nt::DeliveryFeed>();  // the sender's marks, to WatchDeliveries streams
    std::shared_ptr<nt::SmtpSender> sender;
    if (!smtp.url.empty()) {
      sender = std::make_shared<nt::SmtpSender>(nt::publishing_to(feed, outbox), smtp);
      app.keep(sender);  // destroyed after the servers: a delivery in progress finishes
      app.runner().on_started([s = sender.get()] { s->start(); });
    }
    auto svc = std::make_shared<nt::NotificatorService>(
        outbox, db_pool,
        [s = sender.get()] {
          if (s) s->wake();
        },
        feed);
    // The generated bindings (notificator.svckit.h), each method behind the tracker's middleware.
    auto endpoints = pb::notificator::make_endpoints(svc);
    endpoints.send_email = bugtracker::instrumented("notificator", limits, "SendEmail", std::move(endpoints.send_email));
    endpoints.watch_deliveries = bugtracker::instrumented("notificator", limits, "WatchDeliveries", std::move(endpoints.watch_deliveries));
    pb::notificator::add_grpc_methods(app.grpc(), endpoints);
    nt::add_debug_routes(app.debug_routes(), outbox, db_pool, outbox_token, [s = sender.get()] {
      if (s) s->wake();
    });
    if (retention_s > 0) nt::prune_in_background(outbox, db_pool, std::chrono::seconds(retention_s), app.runner());
    return std::nullopt;
  });
}
