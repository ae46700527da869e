// svckit/stream_endpoint.hpp — streaming operations: one request in and a stream of messages out
// (StreamEndpoint), or streams both ways (BidiEndpoint).
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
// A client- or bidirectional-streaming method is a BidiEndpoint: it reads the requests from a
// StreamReader (nullopt after the last) and writes the replies to a StreamWriter, in any order; a
// client-streaming method writes one reply. On a server the transport gives both; on a client the caller
// gives both — the requests to send as a reader, a writer for the replies — and the call reads the next
// request while replies come in:
//
//   svckit::BidiEndpoint<ChatLine, ChatLine> echo =
//       [](const svckit::Context&, svckit::StreamReader<ChatLine>& in, svckit::StreamWriter<ChatLine>& out)
//           -> boost::asio::awaitable<svckit::Status> {
//         while (auto line = co_await in.read())
//           if (!co_await out.write(*line)) co_return svckit::Status(svckit::StatusCode::Cancelled, "stream over");
//         co_return svckit::Status();  // the client sent its last
//       };
//
// Ownership: as Endpoint. The Context, request, reader and writer passed by reference stay alive until
// the returned awaitable completes.
#pragma once

#include <cstddef>
#include <functional>
#include <optional>
#include <utility>
#include <vector>

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

/// Where a stream's messages come from; used from one coroutine at a time (the stream's).
template <class Msg>
class StreamReader {
 public:
  /// The next message, waiting for it (while the reader waits, flow control holds the sender up);
  /// nullopt once the sender has sent its last or the stream is over. A reader a caller gives a client
  /// call must end its wait when the call is over and cancels it (asio timers and channels do).
  virtual boost::asio::awaitable<std::optional<Msg>> read() = 0;

 protected:
  ~StreamReader() = default;
};

template <class Req, class Resp>
using StreamEndpoint = std::function<boost::asio::awaitable<Status>(const Context&, const Req&, StreamWriter<Resp>&)>;

/// A client- or bidirectional-streaming operation (see the top of this file).
template <class Req, class Resp>
using BidiEndpoint = std::function<boost::asio::awaitable<Status>(const Context&, StreamReader<Req>&, StreamWriter<Resp>&)>;

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

/// A StreamReader that calls `fn` for each message; fn returns nullopt after the last.
template <class Msg>
class FunctionStreamReader final : public StreamReader<Msg> {
 public:
  using Fn = std::function<boost::asio::awaitable<std::optional<Msg>>()>;
  explicit FunctionStreamReader(Fn fn) : fn_(std::move(fn)) {}
  boost::asio::awaitable<std::optional<Msg>> read() override { return fn_(); }

 private:
  Fn fn_;
};

/// A reader calling fn for each message; keep it alive until the call ends.
template <class Msg>
FunctionStreamReader<Msg> stream_from(typename FunctionStreamReader<Msg>::Fn fn) {
  return FunctionStreamReader<Msg>(std::move(fn));
}

/// A reader of the given messages, in order, then the end (a client stream's requests known up front).
template <class Msg>
class VectorStreamReader final : public StreamReader<Msg> {
 public:
  explicit VectorStreamReader(std::vector<Msg> messages) : messages_(std::move(messages)) {}
  boost::asio::awaitable<std::optional<Msg>> read() override {
    if (next_ == messages_.size()) co_return std::nullopt;
    co_return messages_[next_++];
  }

 private:
  std::vector<Msg> messages_;
  std::size_t next_ = 0;
};

}  // namespace svckit
