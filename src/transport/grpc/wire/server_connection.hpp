// One HTTP/2 connection of svckit's own gRPC server (svckit/transport/grpc/wire_server.hpp): nghttp2 reads
// and writes the frames, this class turns streams into unary and server-streaming calls. Lives on the io
// thread that accepted it; every member is touched only there, so nothing here locks.
#pragma once

#include <atomic>
#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <unordered_map>

#include <boost/asio/awaitable.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>

#include "svckit/log.hpp"
#include "svckit/metrics/registry.hpp"
#include "deadline_timer.hpp"
#include "socket.hpp"
#include "svckit/transport/grpc/wire_server.hpp"

struct nghttp2_session;

namespace svckit::grpc::wire {

/// One method: unary, server-streaming, or client-/bidirectional-streaming (exactly one handler is set).
struct WireMethod {
  WireHandler unary;
  WireStreamHandler stream;
  WireBidiHandler bidi;
  bool traced = true;  // a SERVER span per call (not for health checks: pollers would flood traces)
};

/// What every connection of a server shares. Methods are read-only once the server has started.
struct ServerShared {
  WireServerOptions opts;
  std::unordered_map<std::string, WireMethod> methods;  // by full name, "/pkg.Service/Method"
  std::atomic<std::size_t> in_flight{0};
  std::atomic<std::size_t> connections{0};
  metrics::Counter* shed = nullptr;
  std::optional<boost::asio::ssl::context> tls;  // from opts.tls (ALPN h2): connections start with a handshake
  metrics::Counter* handshake_failures = nullptr;
  metrics::Counter* dropped_headers = nullptr;  // svckit_headers_dropped_total{transport="grpc"}
  log::Throttle dropped_log;
  log::Throttle handshake_log;
  log::Logger log{"grpc.wire"};
};

class ServerConnection : public std::enable_shared_from_this<ServerConnection> {
 public:
  ServerConnection(std::shared_ptr<ServerShared> shared, boost::asio::ip::tcp::socket socket);
  ~ServerConnection();
  ServerConnection(const ServerConnection&) = delete;
  ServerConnection& operator=(const ServerConnection&) = delete;

  /// Serves the connection until it ends (peer gone, protocol error, drained).
  boost::asio::awaitable<void> run();
  /// Graceful: GOAWAY, the calls in progress finish, then the connection closes.
  void drain();
  /// Now: the socket is closed and the calls in progress are cancelled.
  void abort();

  struct Stream;
  class StreamWriter;
  class StreamReader;

 private:
  friend struct Callbacks;
  void flush();
  boost::asio::awaitable<void> write_loop(std::shared_ptr<ServerConnection> self);
  boost::asio::awaitable<void> close_when_idle(std::shared_ptr<ServerConnection> self);
  std::chrono::steady_clock::time_point expire_deadlines(std::chrono::steady_clock::time_point now);
  void dispatch(const std::shared_ptr<Stream>& s);
  boost::asio::awaitable<void> run_handler(std::shared_ptr<Stream> s);
  void respond(Stream& s, Status status, std::string payload);
  void handshake_failed(const boost::system::error_code& ec);
  void header_dropped(std::string_view key);
  void submit_headers(Stream& s);
  boost::asio::awaitable<bool> write_message(std::shared_ptr<Stream> s, std::string message);
  boost::asio::awaitable<std::optional<std::string>> read_message(std::shared_ptr<Stream> s);
  void release_window(Stream& s);
  void take_client_message(Stream& s, std::string_view bytes);
  void client_done(Stream& s);
  const WireMethod* find_method(const std::string& path) const;

  std::shared_ptr<ServerShared> shared_;
  Socket socket_;
  boost::asio::steady_timer preface_timer_;
  boost::asio::steady_timer idle_timer_;  // idle_timeout: checks now and then, not re-armed per call
  std::chrono::steady_clock::time_point last_active_;  // a stream opened or closed
  DeadlineTimer deadlines_;  // the calls' deadlines
  boost::asio::steady_timer closed_;  // never expires; cancelled by abort() to wake run() after a half-close
  nghttp2_session* session_ = nullptr;
  std::unordered_map<std::int32_t, std::shared_ptr<Stream>> streams_;
  std::string peer_;
  std::string out_;  // bytes nghttp2 produced, being written
  bool writing_ = false;
  bool ended_ = false;  // the socket is closed (or being closed)
  bool got_settings_ = false;
  bool peer_done_ = false;  // the peer half-closed: it sends nothing more
};

}  // namespace svckit::grpc::wire
