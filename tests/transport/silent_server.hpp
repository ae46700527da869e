// Test support: a gRPC "server" that vanishes while calls wait (frozen, or its host gone without a FIN). It
// accepts one connection, says SETTINGS, then nothing more, reading what the client sends (its PINGs too)
// until the client hangs up.
#pragma once

#include <array>
#include <future>
#include <string>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/write.hpp>

namespace svckit::test {

class SilentServer {
 public:
  SilentServer() {
    done_ = std::async(std::launch::async, [this] {
      boost::asio::ip::tcp::socket s(io_);
      acceptor_.accept(s);
      boost::system::error_code ec;
      boost::asio::write(s, boost::asio::buffer(std::string("\0\0\0\x04\0\0\0\0\0", 9)), ec);  // SETTINGS, then silence
      std::array<char, 4096> buf;
      while (!ec) s.read_some(boost::asio::buffer(buf), ec);
    });
  }
  SilentServer(const SilentServer&) = delete;
  SilentServer& operator=(const SilentServer&) = delete;

  std::string address() const { return "127.0.0.1:" + std::to_string(acceptor_.local_endpoint().port()); }
  // Waits until the client has hung up.
  void wait_hung_up() { done_.get(); }

 private:
  boost::asio::io_context io_;
  boost::asio::ip::tcp::acceptor acceptor_{io_, {boost::asio::ip::make_address("127.0.0.1"), 0}};
  std::future<void> done_;
};

}  // namespace svckit::test
