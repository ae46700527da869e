#include "api_service.hpp"

#include "store_url.hpp"

namespace bugtracker {

void add_api_flags(CLI::App& flags, ApiOptions& o, const std::string& jwt_secret_help) {
  add_endpoint_flags(flags, o.limits);
  flags.add_option("--store", o.store, "storage: sqlite:PATH or memory:")->capture_default_str();
  flags.add_option("--jwt-secret", o.jwt_secret, jwt_secret_help);
  flags.add_option("--notificator", o.notificator, "service name of the notificator in the registry")->capture_default_str();
}

std::shared_ptr<svckit::auth::Hs256> jwt_key(const ApiOptions& o) {
  return std::make_shared<svckit::auth::Hs256>(svckit::auth::secret_from(o.jwt_secret));
}

svckit::BlockingPool& store_pool(svckit::App& app, const ApiOptions& o) {
  return app.keep(std::make_shared<svckit::BlockingPool>(store_threads(o.store)));
}

std::shared_ptr<EmailSender> email_sender(svckit::App& app, const ApiOptions& o, svckit::BlockingPool& pool,
                                          std::shared_ptr<EmailQueue> queue, const std::string& origin) {
  auto sender = std::make_shared<EmailSender>(notificator_client(app.registry(), o.notificator, app.runner()), pool,
                                              std::move(queue), svckit::log::Logger(origin), origin);
  EmailSender::run_in_background(sender, app.runner());
  return sender;
}

}  // namespace bugtracker
