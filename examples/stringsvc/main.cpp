// stringsvc — wiring: one App serving the same endpoints over HTTP/JSON and gRPC until SIGTERM. With
// --registry it registers as "stringsvc" (its gRPC address) once listening and deregisters first on SIGTERM.
#include "endpoints.hpp"
#include "service.hpp"
#include "svckit/app.hpp"
#include "transport.hpp"

int main(int argc, char** argv) {
  svckit::App app("stringsvc", "stringsvc: uppercases and counts strings over HTTP/JSON and gRPC (an svckit example)");
  app.serve_http("127.0.0.1:8080").serve_grpc("127.0.0.1:8081");
  return app.main(argc, argv, [&] {
    auto svc = stringsvc::with_logging(stringsvc::make_string_service(), svckit::log::Logger("stringsvc.service"));
    auto endpoints = stringsvc::make_server_endpoints(svc);
    stringsvc::add_http_routes(app.http(), endpoints);
    stringsvc::add_grpc_methods(app.grpc(), endpoints);
  });
}
