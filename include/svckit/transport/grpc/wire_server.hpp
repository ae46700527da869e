// svckit/transport/grpc/wire_server.hpp — serving Endpoints over gRPC on svckit's own HTTP/2 wire.
//
//   svckit::grpc::WireServer grpc(runner.io(), {.address = "127.0.0.1:8081"});
//   grpc.add("/pb.StringService/Uppercase", uppercase_endpoint);   // Endpoint<pb::UppercaseRequest, …>
//   runner.add(grpc_ptr);
//
// The same protocol as svckit::grpc::Server (any gRPC client calls it unchanged), without gRPC's C++
// library: HTTP/2 framing, HPACK and flow control come from libnghttp2, gRPC's message framing, metadata,
// grpc-timeout, status and trailers are svckit's. Every connection lives on the io thread that accepted it
// (each io thread listens on the port, SO_REUSEPORT), and the endpoints of its calls run there too: a call
// never changes threads between its bytes arriving and its reply leaving (docs/transports.md, "Threading").
//
// This is the first part of issue 32: unary methods, plaintext. Streaming, TLS and the health service are
// the grpc++ Server's until this one has them.
// Thread-safety: add() before start(); start()/shutdown() from one controlling thread.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>

#include <boost/asio/awaitable.hpp>
#include <google/protobuf/message_lite.h>

#include "svckit/endpoint.hpp"
#include "svckit/io_pool.hpp"
#include "svckit/server.hpp"

namespace svckit::grpc {

struct WireServerOptions {
  std::string address = "127.0.0.1:8081";  // host:port; port 0 picks a free one (see port())
  std::size_t max_message_bytes = 4 << 20;  // a request over this is refused with RESOURCE_EXHAUSTED
  // Admission control, as svckit::grpc::Server: calls beyond this many in flight get UNAVAILABLE at once,
  // with a pushback of 1 s; 0 = no limit.
  int max_in_flight = 10000;
  int max_concurrent_streams = 1000;  // per connection (HTTP/2 SETTINGS_MAX_CONCURRENT_STREAMS)
  int max_connections = 10000;        // beyond it a new connection is closed at once
  // A connection that has not sent the HTTP/2 preface and its SETTINGS within this is closed.
  std::chrono::milliseconds preface_timeout{10000};
  // A connection with no open stream for this long gets a GOAWAY and closes (checked every half of it, so
  // it closes between 1 and 1.5 times this after its last call); 0 = never.
  std::chrono::milliseconds idle_timeout{0};
};

/// What a method handler produces: a status, and the serialised reply when OK.
struct WireReply {
  Status status;
  std::string payload;
};
/// `request` (the message's bytes) stays valid until the handler's coroutine ends.
using WireHandler = std::function<boost::asio::awaitable<WireReply>(const Context&, std::string_view request)>;

class WireServer : public svckit::Server {
 public:
  WireServer(IoPool& io, WireServerOptions opts);
  ~WireServer() override;

  /// Serves endpoint as the unary method full_method ("/package.Service/Method").
  template <class Req, class Resp>
  void add(std::string full_method, Endpoint<Req, Resp> endpoint) {
    add_raw(std::move(full_method), unary_handler(std::move(endpoint)));
  }
  /// An Endpoint over protobuf messages as a handler of bytes: requests that do not parse get INVALID_ARGUMENT.
  template <class Req, class Resp>
  static WireHandler unary_handler(Endpoint<Req, Resp> endpoint) {
    return [ep = std::move(endpoint)](const Context& ctx, std::string_view in) -> boost::asio::awaitable<WireReply> {
      Req req;
      if (!req.ParseFromArray(in.data(), static_cast<int>(in.size())))
        co_return WireReply{invalid_argument("cannot parse " + req.GetTypeName()), {}};
      Result<Resp> r = co_await ep(ctx, req);
      if (!r.ok()) co_return WireReply{r.status(), {}};
      co_return WireReply{Status(), r->SerializeAsString()};
    };
  }
  /// Each name once (std::invalid_argument), before start() (std::logic_error).
  void add_raw(std::string full_method, WireHandler handler);

  void start() override;
  void shutdown(std::chrono::steady_clock::time_point deadline) override;
  std::string describe() const override;
  std::string address() const override;
  std::uint16_t port() const;
  /// Calls received and not yet answered.
  std::size_t in_flight() const;
  /// Connections open now.
  std::size_t connections() const;

  struct State;  // wire_server.cpp

 private:
  std::shared_ptr<State> state_;
};

}  // namespace svckit::grpc
