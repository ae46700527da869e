// svckit/stream_endpoint.hpp — a server-streaming operation: one request in, a stream of messages out.
//
// A StreamEndpoint is to a server-streaming gRPC method what an Endpoint is to a unary one: the servers
// serve it (grpc::Server::add_stream, grpc::WireServer::add_stream), the clients produce one
// (grpc::client_stream_endpoint, grpc::wire_client_stream_endpoint), and middleware wraps either
// (chain(), Logging, Metrics, Timeout). It writes each message to `out` and returns the Status that ends
// the stream:
//
//   svckit::StreamEndpoint<WatchRequest, Delivery> watch =
//       [svc](const svckit::Context& ctx, const WatchRequest& req, svckit::StreamWriter<Delivery>& out)
//           -> boost::asio::awaitable<svckit::Status> {
//         for (const Delivery& d : svc->deliveries(req))
//           if (!co_await out.write(d)) co_return svckit::Status(svckit::StatusCode::Cancelled, "stream over");
//         co_return svckit::Status();
//       };
//
// On a client the caller passes its own writer: each message the server sends is written to it, and the
// next is read only once that write has finished, so a slow consumer slows the stream (HTTP/2 flow
// control holds the server) instead of queueing without bound. A write that returns false ends the call
// (the client cancels it). stream_to() makes a writer from a function:
//
//   auto print = svckit::stream_to<Delivery>([](const Delivery& d) -> boost::asio::awaitable<bool> {
//     std::cout << d.id() << "\n";
//     co_return true;
//   });
//   svckit::Status st = co_await client.watch_deliveries(ctx, req, print);
//
// Ownership: as Endpoint. The Context, request and writer passed by reference stay alive until the
// returned awaitable completes.
#pragma once

#include <functional>
#include <utility>

#include <boost/asio/awaitable.hpp>

#include "svckit/context.hpp"
#include "svckit/status.hpp"

namespace svckit {

/// Where a stream's messages go; used from one coroutine at a time (the stream's).
template <class Msg>
class StreamWriter {
 public:
  /// Sends (on a server) or hands over (on a client) one message; waits while the receiver is behind.
  /// false once the stream is over (the peer left or cancelled, its deadline passed): stop writing and
  /// return.
  virtual boost::asio::awaitable<bool> write(const Msg& message) = 0;

 protected:
  ~StreamWriter() = default;
};

template <class Req, class Resp>
using StreamEndpoint = std::function<boost::asio::awaitable<Status>(const Context&, const Req&, StreamWriter<Resp>&)>;

/// A StreamWriter that calls `fn` for each message; fn returns false to end the stream.
template <class Msg>
class FunctionStreamWriter final : public StreamWriter<Msg> {
 public:
  using Fn = std::function<boost::asio::awaitable<bool>(const Msg&)>;
  explicit FunctionStreamWriter(Fn fn) : fn_(std::move(fn)) {}
  boost::asio::awaitable<bool> write(const Msg& message) override { return fn_(message); }

 private:
  Fn fn_;
};

/// A writer calling fn for each message (see the top of this file); keep it alive until the call ends.
template <class Msg>
FunctionStreamWriter<Msg> stream_to(typename FunctionStreamWriter<Msg>::Fn fn) {
  return FunctionStreamWriter<Msg>(std::move(fn));
}

}  // namespace svckit
