// svckit/transport/http/server.hpp — an HTTP/1.1 server on Boost.Beast with C++20 coroutines.
//
// One acceptor per io thread (SO_REUSEPORT), so a connection lives on one thread from accept to close.
// Keep-alive is supported; pipelined requests are answered in order (a request is read only after the
// previous response was written). Limits: body_limit (413), header_limit (431), read_timeout for the whole
// of one request including waiting for it (slow or idle clients are disconnected), write_timeout for writing
// one response (a client that stops reading is disconnected), max_connections (more are closed on accept),
// max_in_flight (503). Bad requests never reach handlers: malformed HTTP gets 400 (so does any
// Transfer-Encoding but a final "chunked", then the connection closes: RFC 9112 §6.1), unknown routes 404,
// wrong methods 405. Header values that are not valid metadata (svckit/metadata.hpp) are not copied
// into the Context (counted in svckit_headers_dropped_total, logged at most once a second).
// TLS (ServerOptions::tls, svckit/tls.hpp): every connection starts with a handshake, bounded by
// read_timeout; a client that fails it (plaintext, no or an untrusted client certificate under mTLS) is
// disconnected before any HTTP is read (svckit_tls_handshake_failures_total, logged at most once a second).
//
// Thread-safety: configure the router before start(); start()/shutdown() from one controlling thread.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>

#include "svckit/io_pool.hpp"
#include "svckit/server.hpp"
#include "svckit/tls.hpp"
#include "svckit/transport/http/router.hpp"

namespace svckit::http {

struct ServerOptions {
  std::string address = "127.0.0.1:8080";  // host:port; port 0 picks a free one (see port())
  std::size_t body_limit = 1 << 20;        // bytes
  std::size_t header_limit = 8 << 10;      // bytes
  std::chrono::milliseconds read_timeout{30000};
  std::chrono::milliseconds write_timeout{30000};
  std::string name = "http";  // how the server describes itself in logs: "<name> host:port"
  // Admission control: requests beyond this many in flight are answered 503 with Retry-After: 1 at once,
  // without running a handler (counted in svckit_requests_shed_total{transport="http"}); 0 = no limit.
  std::size_t max_in_flight = 10000;
  // Open connections (busy or idle keep-alive) at once; one more is closed as soon as it is accepted,
  // before anything is read (counted in svckit_connections_refused_total{transport="http"}); 0 = no limit.
  std::size_t max_connections = 10000;
  // HTTPS: set from svckit::tls::load_server(); null: plaintext.
  std::shared_ptr<const tls::Credentials> tls;
};

class Server : public svckit::Server {
 public:
  Server(IoPool& io, ServerOptions opts, Router router);
  ~Server() override;

  void start() override;
  /// Stops accepting and lets in-flight requests finish; returns once every connection is closed and the
  /// accept loops have ended (connections still open at `deadline` are closed then). Call it while the
  /// IoPool's threads run: the loops end on them, releasing the routes' handlers before the pool goes.
  void shutdown(std::chrono::steady_clock::time_point deadline) override;
  std::string describe() const override;
  std::string address() const override;

  /// The bound port (after start()).
  std::uint16_t port() const;
  /// Requests being handled right now.
  std::size_t in_flight() const;
  /// Open client connections (busy or idle keep-alive).
  std::size_t connections() const;

  struct State;  // shared with the connection coroutines, which may outlive this handle (server.cpp)

 private:
  std::shared_ptr<State> state_;
};

}  // namespace svckit::http
