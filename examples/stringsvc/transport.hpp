// stringsvc — the transport layer: the same endpoints bound to HTTP routes and gRPC methods, and clients.
#pragma once

#include <memory>
#include <string>

#include "endpoints.hpp"
#include "svckit/transport/grpc/server.hpp"
#include "svckit/transport/http/router.hpp"

namespace stringsvc {

/// POST /uppercase {"s":"..."} → {"v":"..."};  POST /count {"s":"..."} → {"v":N}
void add_http_routes(svckit::http::Router& router, const Endpoints& e);
/// /stringsvc.pb.StringService/Uppercase and /Count
void add_grpc_methods(svckit::grpc::Server& server, const Endpoints& e);

/// Client endpoints, over HTTP/JSON or gRPC, to one instance at address host:port.
Endpoints make_http_client(const std::string& address);
Endpoints make_grpc_client(const std::string& address);

}  // namespace stringsvc
