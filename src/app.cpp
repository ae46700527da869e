#include "svckit/app.hpp"

#include <iostream>
#include <stdexcept>

#include <CLI/CLI.hpp>

#include "svckit/debug.hpp"
#include "svckit/sd/announce.hpp"
#include "svckit/sd/registry.hpp"
#include "svckit/transport/http/router.hpp"
#include "svckit/transport/http/server.hpp"

namespace svckit {

App::App(std::string name, std::string about)
    : name_(std::move(name)),
      cli_(std::make_unique<CLI::App>(std::move(about))),
      http_routes_(std::make_unique<http::Router>()),
      debug_routes_(std::make_unique<http::Router>()) {
  opts_.service = name_;
}

App::~App() = default;

App& App::serve_http(std::string address) {
  http_ = true;
  opts_.http_addr = std::move(address);
  return *this;
}

App& App::debug_address(std::string address) {
  opts_.debug_addr = std::move(address);
  return *this;
}

App& App::require_registry(std::string why) {
  registry_required_ = std::move(why);
  return *this;
}

App& App::register_with(sd::Instance metadata) {
  metadata_ = std::move(metadata);
  return *this;
}

CLI::App& App::flags() { return *cli_; }

std::optional<int> App::parse(int argc, char** argv) {
  // Added last, so --help lists the service's own flags first.
  add_runner_flags(*cli_, opts_, {.http_addr = http_, .grpc_addr = grpc_});
  try {
    cli_->parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return cli_->exit(e);  // prints help (0) or the error (non-zero)
  }
  try {
    if (!registry_required_.empty() && opts_.registry.empty())
      throw std::invalid_argument("--registry is required (" + registry_required_ + ")");
    runner_ = std::make_unique<Runner>(opts_);  // first: it configures logging
    if (!opts_.registry.empty()) registry_ = sd::Registry::open(opts_.registry);
    if (make_grpc_server_) grpc_server_ = make_grpc_server_();
  } catch (const std::exception& e) {
    return start_failed(e);
  }
  return std::nullopt;
}

Runner& App::runner() {
  if (!runner_) throw std::logic_error("svckit::App: runner() before parse()");
  return *runner_;
}

http::Router& App::http() {
  if (!http_) throw std::logic_error("svckit::App: http() on a service that does not serve_http()");
  return *http_routes_;
}

http::Router& App::debug_routes() { return *debug_routes_; }

int App::run() {
  auto& r = runner();
  std::shared_ptr<Server> registered;  // gRPC when the service serves both
  if (http_) {
    registered = std::make_shared<http::Server>(r.io(),
                                                http::ServerOptions{.address = opts_.http_addr,
                                                                    .body_limit = opts_.max_body_bytes,
                                                                    .max_in_flight = opts_.max_in_flight,
                                                                    .max_connections = opts_.max_connections,
                                                                    .tls = r.server_tls()},
                                                std::move(*http_routes_));
    r.add(registered);
  }
  if (grpc_server_) {
    r.add(grpc_server_);
    registered = grpc_server_;
  }
  serve_debug(r, std::move(*debug_routes_));
  if (registered) {
    try {
      sd::announce(r, registry_, name_, [registered] { return registered->address(); }, metadata_);
    } catch (const std::invalid_argument& e) {
      return start_failed(e);
    }
  }
  return r.run();
}

int App::start_failed(const std::exception& e) {
  std::cerr << "error: " << e.what() << "\n";
  return 2;
}

}  // namespace svckit
