// bugs — the HTTP API (proto/bugs.proto, generated bindings) over the service.
#pragma once

#include <memory>

#include "middleware.hpp"
#include "service.hpp"
#include "svckit/auth/jwt.hpp"
#include "svckit/transport/http/router.hpp"

namespace bugtracker::bugs {

/// The routes bugs.proto declares — POST /create {"bug"} (classic) → 201, GET /bugs?limit=&after=&status=&assignee=
/// → {"bugs":[…],"next_after"}, GET /bugs/{id}, PATCH /bugs/{id} {"status"?,"assignee_id"?} — and GET /healthz. Writes need
/// "Authorization: Bearer <token from users>" (401 without or with a bad token).
/// Every route runs behind bugtracker::instrumented (metrics, logging, the --rate-limit).
void add_http_routes(svckit::http::Router& router, std::shared_ptr<BugsService> svc,
                     std::shared_ptr<const svckit::auth::Hs256> jwt, const EndpointOptions& limits);

}  // namespace bugtracker::bugs
