// Test support: a loopback port held for a server a test starts later. Until then the port is bound but
// not listening, so connections to it are refused (the server is "down") and no other test running at
// the same time can be given it by free_port() and start its own server there.
#pragma once

#include <fcntl.h>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>

namespace svckit::test {

class ReservedPort {
 public:
  ReservedPort() : socket_(io_) {
    socket_.open(boost::asio::ip::tcp::v4());
    // No SO_REUSEADDR: with it, another socket that sets it too could be bound to the same port. A socket
    // that never connected leaves no TIME_WAIT behind, so the server binds the port right after release().
    socket_.bind({boost::asio::ip::make_address("127.0.0.1"), 0});
    // Not inherited by the processes the test starts: a child holding it would keep the port bound.
    ::fcntl(socket_.native_handle(), F_SETFD, FD_CLOEXEC);
    port_ = socket_.local_endpoint().port();
  }
  /// Holds `port` while the server that owns it is down (a member stopped for a restart), so that no test
  /// running beside it is given the port meanwhile. Best effort: held() is false when the port cannot be
  /// bound now (connections of the old server still in TIME_WAIT, say).
  explicit ReservedPort(unsigned short port) : socket_(io_) {
    boost::system::error_code ec;
    socket_.open(boost::asio::ip::tcp::v4(), ec);
    if (!ec) socket_.bind({boost::asio::ip::make_address("127.0.0.1"), port}, ec);
    if (ec) {
      socket_.close(ec);
      return;
    }
    ::fcntl(socket_.native_handle(), F_SETFD, FD_CLOEXEC);
    port_ = port;
  }
  bool held() const { return socket_.is_open(); }
  unsigned short port() const { return port_; }
  /// Lets the port go, for the server about to bind it.
  void release() { socket_.close(); }

 private:
  boost::asio::io_context io_;
  boost::asio::ip::tcp::socket socket_;
  unsigned short port_ = 0;
};

}  // namespace svckit::test
