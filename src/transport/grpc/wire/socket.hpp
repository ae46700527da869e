// A connection's byte stream for svckit's own gRPC wire: a TCP socket, or TLS over it. One read and one
// write may be in progress at once (the connection's read loop and write loop), as for both Asio streams.
#pragma once

#include <optional>

#include <boost/asio/awaitable.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/asio/ssl/stream.hpp>

namespace svckit::grpc::wire {

class Socket {
 public:
  /// tls null: plaintext. Otherwise the connection starts with a TLS handshake (handshake()).
  Socket(boost::asio::ip::tcp::socket socket, boost::asio::ssl::context* tls);
  Socket(const Socket&) = delete;  // the TLS stream refers to socket_: never moved
  Socket& operator=(const Socket&) = delete;

  bool is_tls() const { return tls_.has_value(); }
  /// The server side of the TLS handshake; ok at once for plaintext.
  boost::asio::awaitable<boost::system::error_code> handshake();
  /// The client side: the server's certificate must name `name` (tls/ssl_context.hpp) and the server
  /// must choose HTTP/2 in ALPN. "" when done (at once for plaintext), else why it failed.
  boost::asio::awaitable<std::string> client_handshake(const std::string& name);
  boost::asio::awaitable<std::size_t> read_some(boost::asio::mutable_buffer buffer, boost::system::error_code& ec);
  boost::asio::awaitable<void> write(boost::asio::const_buffer buffer, boost::system::error_code& ec);
  /// Closes the TCP socket (no TLS close_notify: HTTP/2's GOAWAY has said goodbye already).
  void close();

  boost::asio::ip::tcp::socket& tcp() { return socket_; }
  bool is_open() const { return socket_.is_open(); }
  boost::asio::ip::tcp::socket::executor_type get_executor() { return socket_.get_executor(); }

 private:
  boost::asio::ip::tcp::socket socket_;
  std::optional<boost::asio::ssl::stream<boost::asio::ip::tcp::socket&>> tls_;
};

/// Adds ALPN to a server context: "h2" is chosen; a client that offers only other protocols is refused in
/// the handshake (a client that offers none is served, as gRPC's own server does).
void select_h2(boost::asio::ssl::context& ctx);
/// Adds ALPN to a client context: "h2" is offered (and client_handshake requires the server to choose it).
void offer_h2(boost::asio::ssl::context& ctx);

}  // namespace svckit::grpc::wire
