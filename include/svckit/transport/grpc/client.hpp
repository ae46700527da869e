// svckit/transport/grpc/client.hpp — calling gRPC methods as Endpoints, without a thread per call.
//
//   auto channel = svckit::grpc::make_channel("127.0.0.1:8081");
//   auto upper = svckit::grpc::client_endpoint<pb::UppercaseRequest, pb::UppercaseReply>(
//       channel, "/pb.StringService/Uppercase");
//   auto reply = co_await upper(ctx, req);
//
// Calls go through gRPC's asynchronous API on one process-wide completion queue; the completion resumes
// the calling coroutine on its own executor. The ClientContext, request and reply live in one heap object
// until gRPC reports completion. The Context deadline becomes the gRPC deadline (so the server sees it);
// without one, ClientOptions::timeout applies. The request id travels as x-request-id metadata.
#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include <boost/asio/awaitable.hpp>
#include <grpcpp/channel.h>

#include "svckit/endpoint.hpp"
#include "svckit/stream_endpoint.hpp"
#include "svckit/tls.hpp"
#include "svckit/transport/grpc/client_options.hpp"
#include "svckit/transport/grpc/message.hpp"

namespace svckit::grpc {

struct ChannelOptions {
  int max_message_bytes = 4 << 20;
  std::chrono::milliseconds keepalive_time{30000};  // HTTP/2 pings to notice dead peers
  // TLS: set from svckit::tls::load_client(); null: plaintext. The server's certificate must be signed by
  // a trusted CA and name the target's host (or tls->server_name).
  std::shared_ptr<const tls::Credentials> tls;
};

/// A channel to target ("host:port"), with svckit's channel arguments: its own subchannel pool
/// (one connection per channel, so each instance of a service gets its own), gRPC's built-in retries off
/// (svckit retries across instances itself).
std::shared_ptr<::grpc::Channel> make_channel(const std::string& target, ChannelOptions opts = {});

/// One unary call with serialised bytes; the building block of client_endpoint.
boost::asio::awaitable<Result<::grpc::ByteBuffer>> unary_call(const std::shared_ptr<::grpc::Channel>& channel,
                                                              const std::string& full_method, const Context& ctx,
                                                              ::grpc::ByteBuffer request, ClientOptions opts = {});

template <class Req, class Resp>
Endpoint<Req, Resp> client_endpoint(std::shared_ptr<::grpc::Channel> channel, std::string full_method,
                                    ClientOptions opts = {}) {
  return [channel = std::move(channel), method = std::move(full_method), opts](
             const Context& ctx, const Req& req) -> boost::asio::awaitable<Result<Resp>> {
    auto bytes = co_await unary_call(channel, method, ctx, serialize_message(req), opts);
    if (!bytes.ok()) co_return bytes.status();
    Resp out;
    if (auto s = parse_message(*bytes, out); !s.ok()) co_return Status(StatusCode::Internal, s.message());
    co_return out;
  };
}

/// Takes a server stream's messages, one at a time; false ends the call.
using MessageSink = std::function<boost::asio::awaitable<bool>(const ::grpc::ByteBuffer&)>;

/// One server-streaming call with serialised bytes: each message to sink in order, then the call's status
/// (CANCELLED if sink returned false; the call is cancelled). The next message is read only once sink has
/// returned, so a slow sink holds up the server (HTTP/2 flow control), not this process's memory. The
/// Context deadline (else opts.timeout) bounds the whole stream; cancelling the caller cancels the call.
boost::asio::awaitable<Status> server_stream_call(const std::shared_ptr<::grpc::Channel>& channel, const std::string& full_method,
                                                  const Context& ctx, ::grpc::ByteBuffer request, const MessageSink& sink,
                                                  ClientOptions opts = {});

/// A server-streaming method as a StreamEndpoint: the caller's writer gets each reply. A reply that does
/// not parse ends the call with INTERNAL.
template <class Req, class Resp>
StreamEndpoint<Req, Resp> client_stream_endpoint(std::shared_ptr<::grpc::Channel> channel, std::string full_method,
                                                 ClientOptions opts = {}) {
  return [channel = std::move(channel), method = std::move(full_method), opts](
             const Context& ctx, const Req& req, StreamWriter<Resp>& out) -> boost::asio::awaitable<Status> {
    Status bad;
    MessageSink sink = [&out, &bad](const ::grpc::ByteBuffer& bytes) -> boost::asio::awaitable<bool> {
      Resp m;
      if (auto s = parse_message(bytes, m); !s.ok()) {
        bad = Status(StatusCode::Internal, s.message());
        co_return false;
      }
      co_return co_await out.write(m);
    };
    Status s = co_await server_stream_call(channel, method, ctx, serialize_message(req), sink, opts);
    co_return bad.ok() ? s : bad;
  };
}

}  // namespace svckit::grpc
