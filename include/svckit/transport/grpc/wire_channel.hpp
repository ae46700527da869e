// svckit/transport/grpc/wire_channel.hpp — calling gRPC methods on svckit's own HTTP/2 wire.
//
//   auto channel = svckit::grpc::WireChannel::create("127.0.0.1:8081");
//   auto upper = svckit::grpc::wire_client_endpoint<pb::UppercaseRequest, pb::UppercaseReply>(
//       channel, "/pb.StringService/Uppercase");
//   auto reply = co_await upper(ctx, req);        // from a coroutine on one of the io threads
//
// The client half of the own wire (wire_server.hpp has the server): any gRPC server answers it. A channel
// keeps one HTTP/2 connection to its target per io thread that calls through it, opened by the first call
// there; a call runs on the caller's thread from start to end — its request is written, its reply read
// and the caller resumed by that thread, with no hand-off to another (docs/transports.md, "Threading").
// A caller that is not on an io_context's own thread (a grpc++ server's poller, a plain thread's
// coroutine) goes through one connection on a thread of the channel's, and back.
//
// As the grpc++ client (client.hpp): the Context deadline (else ClientOptions::timeout) is sent as
// grpc-timeout and ends the call with DEADLINE_EXCEEDED (the stream is reset); the request id travels as
// x-request-id, the span as traceparent; a server's pushback (grpc-retry-pushback-ms) becomes the
// Status's retry_after; a cancelled caller resets its stream. Failures: cannot connect, connection lost,
// GOAWAY before the server took the call, or REFUSED_STREAM → UNAVAILABLE (the server did not run it).
// After a failed connect the next one waits a backoff (100 ms doubling to 2 s); calls meanwhile fail at
// once with UNAVAILABLE, or with wait_for_ready wait for the next connect within their deadline.
// Server-streaming calls (server_stream, wire_client_stream_endpoint) run the same way, their messages
// handed to the caller's writer one at a time; client- and bidirectional-streaming calls through a driver
// that writes and reads (bidi_stream, by bytes) or as a BidiEndpoint (wire_client_bidi_endpoint).
// TLS: WireChannelOptions::tls (from svckit::tls::load_client) — the server's certificate is verified as
// the grpc++ client and the HTTP client do (svckit/tls.hpp), the client's certificate is presented when the
// server asks (mutual TLS), and the server must choose HTTP/2 in ALPN; the handshake counts against
// connect_timeout, and its failure is the UNAVAILABLE of a failed connect, with the reason.
// Thread-safety: a channel may be shared by coroutines on any threads. Ownership: its connections live on
// the callers' io_contexts, so destroy a channel before those (as svckit::http::Client); each io_context
// must be run by one thread (as svckit::IoPool runs them).
#pragma once

#include <chrono>
#include <cstddef>
#include <functional>
#include <memory>
#include <optional>
#include <string>

#include <boost/asio/awaitable.hpp>

#include "svckit/endpoint.hpp"
#include "svckit/stream_endpoint.hpp"
#include "svckit/tls.hpp"
#include "svckit/transport/grpc/client_options.hpp"
#include "svckit/transport/grpc/wire_stream.hpp"

namespace svckit::grpc {

struct WireChannelOptions {
  std::size_t max_message_bytes = 4 << 20;  // a larger request or reply fails with RESOURCE_EXHAUSTED
  std::chrono::milliseconds connect_timeout{5000};  // a connect (TCP, then any TLS handshake), within the call's deadline
  // While calls are in flight, a connection that has read nothing for keepalive_time is pinged, and closed
  // (its calls UNAVAILABLE) if nothing comes back within keepalive_timeout: a peer that vanished does not
  // hold calls until their deadlines. gRPC servers count pings that come while they send nothing (grpc-go
  // closes the connection at the third within 5 minutes), so, as gRPC's own clients do: idle connections
  // are not pinged, at most two pings go out while the server sends no HEADERS or DATA (then one each
  // 5 minutes), and a server's GOAWAY "too_many_pings" doubles keepalive_time for the next connections.
  std::chrono::milliseconds keepalive_time{30000};
  std::chrono::milliseconds keepalive_timeout{10000};
  // TLS: set from svckit::tls::load_client(); null: plaintext (h2c). The server's certificate must be
  // signed by a trusted CA and name the target's host (or tls->server_name).
  std::shared_ptr<const tls::Credentials> tls;
};

/// Takes a server stream's messages (serialised), one at a time; false ends the call.
using WireMessageSink = std::function<boost::asio::awaitable<bool>(std::string message)>;
/// Gives a client stream's requests (serialised), one at a time; nullopt after the last.
using WireMessageSource = std::function<boost::asio::awaitable<std::optional<std::string>>()>;

class WireChannel : public std::enable_shared_from_this<WireChannel> {
 public:
  /// target: "host:port" (a name is resolved at each connect). Connects lazily, on the first call.
  static std::shared_ptr<WireChannel> create(std::string target, WireChannelOptions opts = {});
  ~WireChannel();
  WireChannel(const WireChannel&) = delete;
  WireChannel& operator=(const WireChannel&) = delete;

  /// One unary call with serialised bytes (the message, without gRPC's 5-byte prefix). The arguments passed
  /// by reference must outlive the call: co_await it where it is made (as an Endpoint's caller does).
  boost::asio::awaitable<Result<std::string>> unary(const std::string& full_method, const Context& ctx, std::string request,
                                                    const ClientOptions& opts = {});
  /// One server-streaming call: each message the server sends goes to sink, in order, on the caller's
  /// executor; the next is read only once sink has returned (while it is behind, the stream's HTTP/2
  /// window stays shut and the server waits). Returns the call's status; CANCELLED if sink returned false
  /// (the stream is reset). The deadline (else opts.timeout) bounds the whole stream: give a long-lived
  /// stream a long one. The arguments passed by reference must outlive the call.
  boost::asio::awaitable<Status> server_stream(const std::string& full_method, const Context& ctx, std::string request,
                                               const WireMessageSink& sink, const ClientOptions& opts = {});
  /// One client- or bidirectional-streaming call: drive writes the requests (serialised) to `out` and
  /// reads the replies from `in`, in any order, on the connection's thread (the caller's io thread; for a
  /// caller off the io threads, the channel's own thread); `out.close()` ends the client's side. Returns
  /// the call's status once drive has returned: read until `in` gives nullopt for the server's; a stream
  /// still open when drive returns is reset (CANCELLED). Writes wait while 256 KiB of requests wait for
  /// the server's window; reads hold the server up likewise. The deadline (else opts.timeout) bounds the
  /// whole stream. The arguments passed by reference must outlive the call.
  boost::asio::awaitable<Status> bidi_stream(const std::string& full_method, const Context& ctx, const WireStreamDriver& drive,
                                             const ClientOptions& opts = {});
  /// bidi_stream with the writing and the reading side by side: each request `requests` gives is sent
  /// (nullopt: the client's side is closed), while each reply goes to `replies` as it comes (false: enough,
  /// the call is reset, CANCELLED). Returns once the server has ended the call (or `replies` did): a
  /// `requests` still waiting then is cancelled, so it must end its wait when cancelled. Both run where
  /// bidi_stream's driver does.
  boost::asio::awaitable<Status> bidi_pump(const std::string& full_method, const Context& ctx, const WireMessageSource& requests,
                                           const WireMessageSink& replies, const ClientOptions& opts = {});
  const std::string& target() const;
  /// Connections opened so far, over all threads (for tests and metrics: reuse keeps this low).
  std::size_t connections_opened() const;

  struct State;  // wire_channel.cpp

 private:
  explicit WireChannel(std::shared_ptr<State> state);
  std::shared_ptr<State> state_;
};

template <class Req, class Resp>
Endpoint<Req, Resp> wire_client_endpoint(std::shared_ptr<WireChannel> channel, std::string full_method, ClientOptions opts = {}) {
  return [channel = std::move(channel), method = std::move(full_method), opts](
             const Context& ctx, const Req& req) -> boost::asio::awaitable<Result<Resp>> {
    auto bytes = co_await channel->unary(method, ctx, req.SerializeAsString(), opts);
    if (!bytes.ok()) co_return bytes.status();
    Resp out;
    if (!out.ParseFromString(*bytes)) co_return Status(StatusCode::Internal, "cannot parse the reply as " + out.GetTypeName());
    co_return out;
  };
}

namespace detail {
/// Parses each streamed reply as Resp for `out`; one that does not parse ends the call, with INTERNAL kept
/// in `bad`.
template <class Resp>
WireMessageSink parsing_sink(StreamWriter<Resp>& out, Status& bad) {
  return [&out, &bad](std::string bytes) -> boost::asio::awaitable<bool> {
    Resp m;
    if (!m.ParseFromString(bytes)) {
      bad = Status(StatusCode::Internal, "cannot parse a streamed reply as " + m.GetTypeName());
      co_return false;
    }
    co_return co_await out.write(m);
  };
}
}  // namespace detail

/// A server-streaming method as a StreamEndpoint: the caller's writer gets each reply (see server_stream).
/// A reply that does not parse ends the call with INTERNAL.
template <class Req, class Resp>
StreamEndpoint<Req, Resp> wire_client_stream_endpoint(std::shared_ptr<WireChannel> channel, std::string full_method,
                                                      ClientOptions opts = {}) {
  return [channel = std::move(channel), method = std::move(full_method), opts](
             const Context& ctx, const Req& req, StreamWriter<Resp>& out) -> boost::asio::awaitable<Status> {
    Status bad;
    const WireMessageSink sink = detail::parsing_sink(out, bad);
    Status s = co_await channel->server_stream(method, ctx, req.SerializeAsString(), sink, opts);
    co_return bad.ok() ? s : bad;
  };
}

/// A client- or bidirectional-streaming method as a BidiEndpoint: the caller's reader gives the requests,
/// its writer takes the replies, side by side (see bidi_pump). A reply that does not parse ends the call
/// with INTERNAL.
template <class Req, class Resp>
BidiEndpoint<Req, Resp> wire_client_bidi_endpoint(std::shared_ptr<WireChannel> channel, std::string full_method, ClientOptions opts = {}) {
  return [channel = std::move(channel), method = std::move(full_method), opts](
             const Context& ctx, StreamReader<Req>& in, StreamWriter<Resp>& out) -> boost::asio::awaitable<Status> {
    Status bad;
    WireMessageSource requests = [&in]() -> boost::asio::awaitable<std::optional<std::string>> {
      auto m = co_await in.read();
      if (!m) co_return std::nullopt;
      co_return m->SerializeAsString();
    };
    const WireMessageSink replies = detail::parsing_sink(out, bad);
    Status s = co_await channel->bidi_pump(method, ctx, requests, replies, opts);
    co_return bad.ok() ? s : bad;
  };
}

}  // namespace svckit::grpc
