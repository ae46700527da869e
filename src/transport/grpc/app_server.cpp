// App::serve_grpc and App::grpc: the App's gRPC server lives in svckit::grpc, so that an HTTP-only service
// (which never calls these) links no gRPC.
#include "svckit/app.hpp"

#include <stdexcept>

#include "svckit/transport/grpc/server.hpp"

namespace svckit {

App& App::serve_grpc(std::string address) {
  grpc_ = true;
  opts_.grpc_addr = std::move(address);
  make_grpc_server_ = [this] {
    return std::make_shared<grpc::Server>(runner_->io(), grpc::ServerOptions{.address = opts_.grpc_addr,
                                                                             .max_message_bytes = static_cast<int>(opts_.max_message_bytes),
                                                                             .max_in_flight = static_cast<int>(opts_.max_in_flight),
                                                                             .max_concurrent_streams = static_cast<int>(opts_.max_streams),
                                                                             .tls = runner_->server_tls(),
                                                                             .own_wire = opts_.grpc_wire,
                                                                             .max_connections = static_cast<int>(opts_.grpc_max_connections),
                                                                             .preface_timeout = std::chrono::milliseconds(opts_.grpc_preface_timeout_ms),
                                                                             .idle_timeout = std::chrono::milliseconds(opts_.grpc_idle_timeout_ms)});
  };
  return *this;
}

grpc::Server& App::grpc() {
  if (!grpc_server_) throw std::logic_error("svckit::App: grpc() on a service that does not serve_grpc() (or before parse())");
  return static_cast<grpc::Server&>(*grpc_server_);
}

}  // namespace svckit
