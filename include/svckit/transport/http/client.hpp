// svckit/transport/http/client.hpp — an HTTP/1.1 client with a keep-alive connection pool.
//
//   auto c = std::make_shared<svckit::http::Client>("127.0.0.1", 8080);
//   auto res = co_await c->request(ctx, Verb::post, "/uppercase", R"({"s":"hi"})");
//
// One Client talks to one host:port and keeps idle connections for reuse (never a new connection per
// request once warm). The Context's deadline bounds connect + write + read and is sent on as x-timeout-ms;
// its request id is sent as x-request-id; each call is a CLIENT span (svckit/trace/span.hpp) whose id is
// sent as traceparent. Failures map onto Status: refused/reset → UNAVAILABLE, deadline →
// DEADLINE_EXCEEDED. A request that fails on a reused connection the server had closed is retried once on a
// fresh one.
// Thread-safety: a Client may be shared by coroutines on any threads; connections are preferably reused on
// the thread that opened them.
// Ownership: pooled connections belong to the io_contexts that opened them, so destroy a Client before
// those io_contexts (declare the io_context first).
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include <boost/asio/awaitable.hpp>

#include "svckit/codec/json.hpp"
#include "svckit/endpoint.hpp"
#include "svckit/tls.hpp"
#include "svckit/transport/http/message.hpp"

namespace svckit::http {

struct ClientOptions {
  std::chrono::milliseconds timeout{10000};  // when the Context has no deadline
  std::size_t max_idle = 64;                  // idle connections kept
  std::size_t body_limit = 8 << 20;           // largest response body accepted
  // HTTPS: set from svckit::tls::load_client(); null: plaintext. The server's certificate is verified
  // (trusted CA, name = the host given, or tls->server_name); a failed handshake is UNAVAILABLE.
  std::shared_ptr<const tls::Credentials> tls;
};

class Client {
 public:
  Client(std::string host, std::uint16_t port, ClientOptions opts = {});
  ~Client();
  Client(const Client&) = delete;
  Client& operator=(const Client&) = delete;

  using Request = beast_http::request<beast_http::string_body>;

  /// Sends req (Host, x-request-id and x-timeout-ms are filled in) and returns the response, whatever its
  /// HTTP status; a Status only for transport failures.
  boost::asio::awaitable<Result<Response>> send(const Context& ctx, Request req);
  /// Convenience: a request with a JSON body.
  boost::asio::awaitable<Result<Response>> request(const Context& ctx, Verb verb, std::string target,
                                                   std::string body = {});

  std::string address() const { return host_ + ":" + std::to_string(port_); }
  /// Connections opened so far (for tests and metrics: reuse keeps this low).
  std::size_t connections_opened() const;

  struct Pool;  // client.cpp

 private:
  // One request/response on a pooled connection (send() wraps it in a span).
  boost::asio::awaitable<Result<Response>> exchange(const Context& ctx, Request req);
  std::string host_;
  std::uint16_t port_;
  ClientOptions opts_;
  std::unique_ptr<Pool> pool_;
};

/// Reads the svckit error body of a non-2xx response into a Status (or maps the HTTP status alone).
Status status_of(const Response& res);

template <class Req, class Resp>
struct JsonClientOptions {
  std::function<std::string(const Req&)> target;                   // default: the fixed target given
  std::function<void(const Context&, Client::Request&)> before;   // e.g. set Authorization
  bool body = true;  // false: the request travels in the target alone (path, query string)
};

/// An Endpoint that calls verb target on the client with a JSON body, decoding the JSON reply.
template <class Req, class Resp>
Endpoint<Req, Resp> json_client(std::shared_ptr<Client> client, Verb verb, std::string target,
                                JsonClientOptions<Req, Resp> options = {}) {
  return [client = std::move(client), verb, target = std::move(target), o = std::move(options)](
             const Context& ctx, const Req& req) -> boost::asio::awaitable<Result<Resp>> {
    Client::Request msg{verb, o.target ? o.target(req) : target, 11};
    if (o.body && verb != Verb::get && verb != Verb::head && verb != Verb::delete_) {
      msg.set(beast_http::field::content_type, "application/json");
      msg.body() = json::Codec<Req>::encode(req);
    }
    if (o.before) o.before(ctx, msg);
    Result<Response> res = co_await client->send(ctx, std::move(msg));
    if (!res.ok()) co_return res.status();
    if (res->result_int() / 100 != 2) co_return status_of(*res);
    Result<Resp> out = json::Codec<Resp>::decode(res->body());
    if (!out.ok()) co_return Status(StatusCode::Internal, "bad response from " + client->address() + ": " + out.status().message());
    co_return out;
  };
}

}  // namespace svckit::http
