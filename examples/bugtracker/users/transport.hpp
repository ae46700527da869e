// users — the HTTP API (proto/users.proto, generated bindings) over the service.
#pragma once

#include <memory>

#include "middleware.hpp"
#include "service.hpp"
#include "svckit/transport/http/router.hpp"

namespace bugtracker::users {

/// The routes users.proto declares — POST /create {"email"} (classic), POST /users {"email","password"},
/// GET /users/{id}, POST /login {"email","password"} → {"token"} — and GET /healthz.
/// Every route runs behind bugtracker::instrumented (metrics, logging, the --rate-limit).
void add_http_routes(svckit::http::Router& router, std::shared_ptr<UsersService> svc, const EndpointOptions& limits);

}  // namespace bugtracker::users
