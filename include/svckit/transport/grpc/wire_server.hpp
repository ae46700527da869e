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
// Unary, server-streaming (add_stream) and client- or bidirectional-streaming methods (add_bidi; of bytes:
// add_bidi_stream), grpc.health.v1.Health (Check and Watch) for every service added, plaintext or TLS (ALPN
// h2, mTLS with client CAs).
// Thread-safety: add*() before start(); start()/shutdown() from one controlling thread; set_serving() from
// any thread.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include <boost/asio/awaitable.hpp>
#include <google/protobuf/message_lite.h>

#include "svckit/endpoint.hpp"
#include "svckit/io_pool.hpp"
#include "svckit/server.hpp"
#include "svckit/stream_endpoint.hpp"
#include "svckit/tls.hpp"
#include "svckit/transport/grpc/wire_stream.hpp"

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
  // grpc.health.v1 Watch streams open at once: each holds a stream until its client leaves, so one more is
  // refused with RESOURCE_EXHAUSTED (and counted as shed).
  int max_watch_streams = 1000;
  // TLS: from svckit::tls::load_server() (with client CAs: mutual TLS); ALPN selects "h2", and a client
  // that offers only other protocols is refused in the handshake. null: plaintext. The handshake is
  // bounded by preface_timeout too; failures count in svckit_tls_handshake_failures_total{transport="grpc"}.
  std::shared_ptr<const tls::Credentials> tls;
};

/// What a method handler produces: a status, and the serialised reply when OK.
struct WireReply {
  Status status;
  std::string payload;
};
/// `request` (the message's bytes) stays valid until the handler's coroutine ends.
using WireHandler = std::function<boost::asio::awaitable<WireReply>(const Context&, std::string_view request)>;

/// A server-streaming method: one request in, messages out through `out`; the Status it returns ends the
/// stream (its trailers). `request` stays valid until the handler's coroutine ends.
using WireStreamHandler =
    std::function<boost::asio::awaitable<Status>(const Context&, std::string_view request, WireStreamWriter& out)>;

/// A client- or bidirectional-streaming method: messages in through `in`, out through `out` (a
/// client-streaming method writes one), in any order; the Status it returns ends the call (its trailers).
/// It starts when the call's headers arrive, before any message.
using WireBidiHandler = std::function<boost::asio::awaitable<Status>(const Context&, WireStreamReader& in, WireStreamWriter& out)>;

class WireServer : public svckit::Server {
  // A typed stream's messages, serialised onto the wire's writer.
  template <class Msg>
  struct MessageWriter final : StreamWriter<Msg> {
    explicit MessageWriter(WireStreamWriter& out) : out(out) {}
    boost::asio::awaitable<bool> write(const Msg& message) override { return out.write(message.SerializeAsString()); }
    WireStreamWriter& out;
  };
  // A typed stream's messages, parsed from the wire's reader. One that does not parse ends the reading
  // (nullopt) and is kept as the call's status.
  template <class Msg>
  struct MessageReader final : StreamReader<Msg> {
    explicit MessageReader(WireStreamReader& in) : in(in) {}
    boost::asio::awaitable<std::optional<Msg>> read() override {
      if (!bad.ok()) co_return std::nullopt;
      auto bytes = co_await in.read();
      if (!bytes) co_return std::nullopt;
      Msg m;
      if (!m.ParseFromString(*bytes)) {
        bad = invalid_argument("cannot parse a streamed request as " + m.GetTypeName());
        co_return std::nullopt;
      }
      co_return m;
    }
    WireStreamReader& in;
    Status bad;
  };

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
  /// Serves endpoint as the server-streaming method full_method: each message it writes is sent as the
  /// client's flow control allows (WireStreamWriter), the Status it returns ends the stream.
  template <class Req, class Resp>
  void add_stream(std::string full_method, StreamEndpoint<Req, Resp> endpoint) {
    add_server_stream(std::move(full_method), stream_handler(std::move(endpoint)));
  }
  /// A StreamEndpoint over protobuf messages as a handler of bytes (as unary_handler).
  template <class Req, class Resp>
  static WireStreamHandler stream_handler(StreamEndpoint<Req, Resp> endpoint) {
    return [ep = std::move(endpoint)](const Context& ctx, std::string_view in, WireStreamWriter& out) -> boost::asio::awaitable<Status> {
      Req req;
      if (!req.ParseFromArray(in.data(), static_cast<int>(in.size()))) co_return invalid_argument("cannot parse " + req.GetTypeName());
      MessageWriter<Resp> typed(out);
      co_return co_await ep(ctx, req, typed);
    };
  }
  /// Serves endpoint as the client- or bidirectional-streaming method full_method: it starts when the
  /// call's headers arrive, reads the requests as they come and writes replies as it goes (a
  /// client-streaming method writes one); the Status it returns ends the call.
  template <class Req, class Resp>
  void add_bidi(std::string full_method, BidiEndpoint<Req, Resp> endpoint) {
    add_bidi_stream(std::move(full_method), bidi_handler(std::move(endpoint)));
  }
  /// A BidiEndpoint over protobuf messages as a handler of bytes: a request that does not parse ends the
  /// call with INVALID_ARGUMENT (whatever the endpoint returns).
  template <class Req, class Resp>
  static WireBidiHandler bidi_handler(BidiEndpoint<Req, Resp> endpoint) {
    return [ep = std::move(endpoint)](const Context& ctx, WireStreamReader& in, WireStreamWriter& out) -> boost::asio::awaitable<Status> {
      MessageReader<Req> requests(in);
      MessageWriter<Resp> replies(out);
      Status s = co_await ep(ctx, requests, replies);
      co_return requests.bad.ok() ? s : requests.bad;
    };
  }
  /// Each name once (std::invalid_argument), before start() (std::logic_error).
  void add_raw(std::string full_method, WireHandler handler);
  /// Serves handler as the server-streaming method full_method. Each name once, before start(), as add_raw.
  void add_server_stream(std::string full_method, WireStreamHandler handler);
  /// Serves handler as the client- or bidirectional-streaming method full_method. Each name once, before
  /// start(), as add_raw.
  void add_bidi_stream(std::string full_method, WireBidiHandler handler);

  void start() override;
  void shutdown(std::chrono::steady_clock::time_point deadline) override;
  std::string describe() const override;
  std::string address() const override;
  /// Readiness for grpc.health.v1.Health, served for "" and each service added (unless a method of
  /// /grpc.health.v1.Health/ was added by hand): NOT_SERVING until set_serving(true) (the Runner calls it
  /// when the service is ready); Watch streams hear each change, and NOT_SERVING and their end at shutdown.
  void set_serving(bool serving) override;
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
