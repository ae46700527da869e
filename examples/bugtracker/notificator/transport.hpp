// notificator — the debug HTTP routes. The gRPC side (SendEmail's endpoint and binding) is generated from
// proto/notificator.proto: see notificator.svckit.h and main.cpp.
#pragma once

#include <functional>
#include <memory>

#include "outbox.hpp"
#include "svckit/blocking.hpp"
#include "svckit/transport/http/router.hpp"

namespace bugtracker::notificator {

/// GET /outbox?limit=N (the newest messages and their delivery state) and POST /outbox/redrive (every dead
/// message pending again, answered {"redriven": N}; then on_redriven(), which wakes the sender), for
/// `Authorization: Bearer <token>` only (401 otherwise); with an empty token both answer 403 (disabled:
/// messages are private). svckit::serve_debug adds /metrics, /healthz.
void add_debug_routes(svckit::http::Router& router, std::shared_ptr<Outbox> outbox, svckit::BlockingPool& pool,
                      std::string token, std::function<void()> on_redriven = {});

}  // namespace bugtracker::notificator
