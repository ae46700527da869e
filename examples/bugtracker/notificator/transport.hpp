// notificator — endpoints and transports: gRPC SendEmail, and the debug HTTP routes.
#pragma once

#include <memory>

#include "notificator.pb.h"
#include "outbox.hpp"
#include "middleware.hpp"
#include "service.hpp"
#include "svckit/endpoint.hpp"
#include "svckit/transport/grpc/server.hpp"
#include "svckit/transport/http/router.hpp"

namespace bugtracker::notificator {

inline constexpr const char* kSendEmailMethod = "/pb.Notificator/SendEmail";

/// The SendEmail endpoint over the service, with logging middleware.
/// SendEmail behind bugtracker::instrumented (metrics, logging, the --rate-limit).
svckit::Endpoint<pb::SendEmailRequest, pb::SendEmailReply> make_send_email_endpoint(std::shared_ptr<NotificatorService> svc,
                                                                                     const EndpointOptions& limits);

void add_grpc_methods(svckit::grpc::Server& server, svckit::Endpoint<pb::SendEmailRequest, pb::SendEmailReply> send_email);

/// GET /outbox?limit=N (the newest messages and their delivery state); svckit::serve_debug adds /metrics, /healthz.
void add_debug_routes(svckit::http::Router& router, std::shared_ptr<Outbox> outbox, svckit::BlockingPool& pool);

}  // namespace bugtracker::notificator
