// What the tracker's two HTTP services (users, bugs) share: their common flags, their JWT key, and how
// they send email (queued in their own store, sent through notificator found in the registry).
#pragma once

#include <memory>
#include <string>

#include <CLI/CLI.hpp>

#include "middleware.hpp"
#include "queued_email.hpp"
#include "svckit/app.hpp"
#include "svckit/auth/jwt.hpp"
#include "svckit/blocking.hpp"

namespace bugtracker {

struct ApiOptions {
  std::string store;  // sqlite:PATH or memory:
  std::string jwt_secret;
  std::string notificator = "notificator";  // its name in the registry
  EndpointOptions limits;
};

/// --store, --jwt-secret, --notificator, --rate-limit, --bare-endpoints. (Emails go to the notificator
/// their idempotency key hashes to: no balancer to choose there.)
void add_api_flags(CLI::App& flags, ApiOptions& o, const std::string& jwt_secret_help);

/// The HS256 key from --jwt-secret (else $SVCKIT_JWT_SECRET); throws std::invalid_argument when short.
std::shared_ptr<svckit::auth::Hs256> jwt_key(const ApiOptions& o);

/// The store's blocking pool, kept by the app (memory: none, calls run inline; SQLite: two threads).
svckit::BlockingPool& store_pool(svckit::App& app, const ApiOptions& o);

/// Emails of `origin` ("users", "bugs"): queued in `queue`, sent at once through notificator (discovered,
/// balanced, retried), and re-sent every second in the background until notificator takes them.
std::shared_ptr<EmailSender> email_sender(svckit::App& app, const ApiOptions& o, svckit::BlockingPool& pool,
                                          std::shared_ptr<EmailQueue> queue, const std::string& origin);

}  // namespace bugtracker
