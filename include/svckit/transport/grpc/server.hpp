// svckit/transport/grpc/server.hpp — serving Endpoints over gRPC.
//
//   svckit::grpc::Server grpc(runner.io(), {.address = "127.0.0.1:8081"});
//   grpc.add("/pb.StringService/Uppercase", uppercase_endpoint);   // Endpoint<pb::UppercaseRequest, …>
//   runner.add(grpc_ptr);
//
// Built on gRPC's asynchronous (CompletionQueue) API. Each method is registered with gRPC by its full name
// as a "raw" unary method: the request bytes arrive with the call, no generated service class is needed,
// and gRPC itself answers UNIMPLEMENTED for unknown names. A small number of poller threads (cq_threads)
// receive calls and run each endpoint as a coroutine on the receiving thread: no thread hop for endpoints
// that complete at once, and an endpoint that waits on something downstream holds no thread (it resumes
// on that poller). Timers and sockets it creates use the io pool. Requests that do not parse get
// INVALID_ARGUMENT. Server-streaming methods (add_stream) run the same way; each message written waits for
// gRPC to take it.
// Thread-safety: add() before start(); start()/shutdown() from one controlling thread.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include <boost/asio/awaitable.hpp>

#include "svckit/endpoint.hpp"
#include "svckit/io_pool.hpp"
#include "svckit/server.hpp"
#include "svckit/stream_endpoint.hpp"
#include "svckit/tls.hpp"
#include "svckit/transport/grpc/message.hpp"
#include "svckit/transport/grpc/wire_server.hpp"

namespace svckit::grpc {

struct ServerOptions {
  std::string address = "127.0.0.1:8081";  // host:port; port 0 picks a free one (see port())
  int cq_threads = 1;                       // completion-queue poller threads; endpoints run on them
  int max_message_bytes = 4 << 20;
  // Admission control: calls beyond this many in flight are refused at once with UNAVAILABLE and a
  // pushback of 1 s (counted in svckit_requests_shed_total{transport="grpc"}); 0 = no limit.
  int max_in_flight = 10000;
  // Streams one client connection may have open at once (HTTP/2 SETTINGS_MAX_CONCURRENT_STREAMS): calls
  // beyond it wait in the client for a stream to free up; 0 = gRPC's default (no limit).
  int max_concurrent_streams = 1000;
  // grpc.health.v1 Watch streams open at once, over all clients: each holds memory until its client
  // leaves, so one more is refused with RESOURCE_EXHAUSTED (and counted as shed).
  int max_watch_streams = 1000;
  // TLS (ALPN h2): set from svckit::tls::load_server(), with client CAs for mTLS; null: plaintext.
  std::shared_ptr<const tls::Credentials> tls;
  // Serve on svckit's own HTTP/2 wire (wire_server.hpp) instead of gRPC's C++ library: calls run on the io
  // threads that read them. In progress (issue 32): unary and server-streaming methods and the health
  // service (Check, Watch), plaintext or TLS. The Runner's --grpc-wire flag sets it.
  bool own_wire = false;
  // The own wire's connection limits (WireServerOptions; grpc++ ignores them).
  int max_connections = 10000;
  std::chrono::milliseconds preface_timeout{10000};
  std::chrono::milliseconds idle_timeout{0};
};

/// What a method handler produces: a status, and the serialised reply when OK.
struct RawReply {
  Status status;
  ::grpc::ByteBuffer payload;
};
using RawHandler = std::function<boost::asio::awaitable<RawReply>(const Context&, const ::grpc::ByteBuffer&)>;

/// A server-streaming call's way out on the grpc++ server; used only from its handler's coroutine.
class RawStreamWriter {
 public:
  /// Sends one serialised message; waits until gRPC has taken it (one message in flight at a time, so a
  /// client that stops reading holds up the handler). false once the stream is over (the client cancelled
  /// or left, its deadline passed, the server is shutting down). Cancelling the waiting coroutine
  /// cancels the call.
  virtual boost::asio::awaitable<bool> write(::grpc::ByteBuffer message) = 0;

 protected:
  ~RawStreamWriter() = default;
};
using RawStreamHandler =
    std::function<boost::asio::awaitable<Status>(const Context&, const ::grpc::ByteBuffer&, RawStreamWriter&)>;

class Server : public svckit::Server {
  template <class Msg>
  struct MessageWriter final : StreamWriter<Msg> {
    explicit MessageWriter(RawStreamWriter& out) : out(out) {}
    boost::asio::awaitable<bool> write(const Msg& message) override { return out.write(serialize_message(message)); }
    RawStreamWriter& out;
  };

 public:
  Server(IoPool& io, ServerOptions opts);
  ~Server() override;

  /// Serves endpoint as the unary method full_method ("/package.Service/Method").
  template <class Req, class Resp>
  void add(std::string full_method, Endpoint<Req, Resp> endpoint) {
    if (own_wire()) {  // straight from the wire's bytes to the message: no gRPC byte buffer on the way
      add_wire(std::move(full_method), WireServer::unary_handler(std::move(endpoint)));
      return;
    }
    add_raw(std::move(full_method),
            [ep = std::move(endpoint)](const Context& ctx, const ::grpc::ByteBuffer& in) -> boost::asio::awaitable<RawReply> {
              Req req;
              if (auto s = parse_message(in, req); !s.ok()) co_return RawReply{s, {}};
              Result<Resp> r = co_await ep(ctx, req);
              if (!r.ok()) co_return RawReply{r.status(), {}};
              co_return RawReply{Status(), serialize_message(*r)};
            });
  }
  /// Serves endpoint as the server-streaming method full_method: the messages it writes go out in order,
  /// the Status it returns ends the stream (its trailers). Middleware wraps it as it wraps an Endpoint
  /// (svckit/middleware.hpp); requests that do not parse get INVALID_ARGUMENT.
  template <class Req, class Resp>
  void add_stream(std::string full_method, StreamEndpoint<Req, Resp> endpoint) {
    if (own_wire()) {
      add_wire_stream(std::move(full_method), WireServer::stream_handler(std::move(endpoint)));
      return;
    }
    add_raw_stream(std::move(full_method),
                   [ep = std::move(endpoint)](const Context& ctx, const ::grpc::ByteBuffer& in,
                                              RawStreamWriter& out) -> boost::asio::awaitable<Status> {
                     Req req;
                     if (auto s = parse_message(in, req); !s.ok()) co_return s;
                     MessageWriter<Resp> typed(out);
                     co_return co_await ep(ctx, req, typed);
                   });
  }
  /// A server-streaming method as a handler of gRPC byte buffers (on the own wire, through a copy).
  void add_raw_stream(std::string full_method, RawStreamHandler handler);
  /// A server-streaming method as a handler of the own wire's bytes (own_wire only).
  void add_wire_stream(std::string full_method, WireStreamHandler handler);
  /// A method as a handler of gRPC byte buffers. On the own wire it is served through a copy into one each
  /// way; add() and add_wire() are not. Each name once (std::invalid_argument), before start() (std::logic_error).
  void add_raw(std::string full_method, RawHandler handler);
  /// A method as a handler of the own wire's bytes (own_wire only: std::logic_error otherwise).
  void add_wire(std::string full_method, WireHandler handler);
  bool own_wire() const;

  void start() override;
  void shutdown(std::chrono::steady_clock::time_point deadline) override;
  std::string describe() const override;
  std::string address() const override;
  /// Readiness for grpc.health.v1.Health, which every svckit gRPC server serves (Check and Watch, on its own
  /// completion queues) for "" and for each service it has methods of; NOT_SERVING until the runner
  /// reports it ready.
  void set_serving(bool serving) override;
  std::uint16_t port() const;
  /// Calls received and not yet answered.
  std::size_t in_flight() const;

  struct State;  // server.cpp

 private:
  std::shared_ptr<State> state_;
};

}  // namespace svckit::grpc
