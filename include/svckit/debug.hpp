// svckit/debug.hpp — the debug listener every service runs on --debug-addr: metrics and health.
//
//   svckit::Runner runner(opts);
//   svckit::serve_debug(runner);                 // GET /metrics, /healthz, /readyz on opts.debug_addr
//   svckit::serve_debug(runner, std::move(extra)); // plus routes of the service's own (e.g. GET /outbox)
//
// /metrics serves the process-wide metrics registry in Prometheus's text format; point a Prometheus scrape
// job at the debug address. The debug listener is kept apart from the service's own port so it can stay on
// an internal interface (the default is 127.0.0.1) and so scrapes never queue behind user traffic.
#pragma once

#include <memory>

#include "svckit/metrics/registry.hpp"
#include "svckit/runner.hpp"
#include "svckit/transport/http/router.hpp"
#include "svckit/transport/http/server.hpp"

namespace svckit {

/// Adds GET /metrics (registry in the Prometheus text format) and GET /healthz ({"status":"ok"}).
void add_debug_routes(http::Router& router, metrics::Registry& registry = metrics::default_registry());

/// Starts an HTTP server on runner.options().debug_addr with the debug routes, GET /readyz (200
/// {"status":"ready"}, or 503 {"status":"not ready","failing":[…]} from runner.health()) and `extra`, and adds it to
/// the runner (it starts and drains with the service). Returns it, e.g. for port() when the address ends in :0.
std::shared_ptr<http::Server> serve_debug(Runner& runner, http::Router extra = {});

}  // namespace svckit
