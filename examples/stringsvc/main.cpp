// stringsvc — wiring: flags, service, endpoints, both transports, run until SIGTERM.
#include <iostream>

#include <CLI/CLI.hpp>

#include "endpoints.hpp"
#include "service.hpp"
#include "svckit/address.hpp"
#include "svckit/debug.hpp"
#include "svckit/runner.hpp"
#include "svckit/sd/announce.hpp"
#include "svckit/transport/grpc/server.hpp"
#include "svckit/transport/http/server.hpp"
#include "transport.hpp"

int main(int argc, char** argv) {
  svckit::RunnerOptions opts;
  opts.service = "stringsvc";
  CLI::App app{"stringsvc: uppercases and counts strings over HTTP/JSON and gRPC (an svckit example)"};
  svckit::add_runner_flags(app, opts);
  CLI11_PARSE(app, argc, argv);

  svckit::Runner runner(opts);
  auto svc = stringsvc::with_logging(stringsvc::make_string_service(), svckit::log::Logger("stringsvc.service"));
  auto endpoints = stringsvc::make_server_endpoints(svc);

  svckit::http::Router router;
  stringsvc::add_http_routes(router, endpoints);
  auto http = std::make_shared<svckit::http::Server>(runner.io(), svckit::http::ServerOptions{.address = opts.http_addr, .tls = runner.server_tls()},
                                                     std::move(router));
  auto grpc = std::make_shared<svckit::grpc::Server>(runner.io(), svckit::grpc::ServerOptions{.address = opts.grpc_addr, .tls = runner.server_tls()});
  stringsvc::add_grpc_methods(*grpc, endpoints);

  runner.add(http);
  runner.add(grpc);
  svckit::serve_debug(runner);  // GET /metrics (Prometheus), GET /healthz on --debug-addr
  // With --registry: registered as "stringsvc" (its gRPC address) once listening, deregistered first on SIGTERM.
  try {
    svckit::sd::announce(runner, "stringsvc", [&] {
      auto host = svckit::split_host_port(opts.grpc_addr).first;
      return (host.find(':') != std::string::npos ? "[" + host + "]" : host) + ":" + std::to_string(grpc->port());
    });
  } catch (const std::invalid_argument& e) {
    std::cerr << "error: " << e.what() << "\n";
    return 2;
  }
  return runner.run();
}
