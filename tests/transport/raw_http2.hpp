// Tests' raw HTTP/2 over a real socket: bytes written by hand, as a hostile or minimal peer would send them.
#pragma once

#include <array>
#include <chrono>
#include <functional>
#include <string>

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/write.hpp>

namespace svckit::test {

// Sends bytes and reads until the server closes the connection or `wait` passes; what came back, and
// whether the server closed it.
struct Exchange {
  std::string got;
  bool closed_by_server = false;
};
inline Exchange exchange(unsigned short port, const std::string& bytes, std::chrono::milliseconds wait = std::chrono::seconds(5), bool half_close = false) {
  boost::asio::io_context io;
  boost::asio::ip::tcp::socket sock(io);
  sock.connect({boost::asio::ip::make_address("127.0.0.1"), port});
  boost::asio::write(sock, boost::asio::buffer(bytes));
  if (half_close) sock.shutdown(boost::asio::ip::tcp::socket::shutdown_send);
  Exchange out;
  std::string& got = out.got;
  boost::asio::steady_timer timer(io, wait);
  timer.async_wait([&](boost::system::error_code ec) {
    if (!ec) sock.close();
  });
  std::array<char, 4096> buf;
  std::function<void(boost::system::error_code, std::size_t)> on_read = [&](boost::system::error_code ec, std::size_t n) {
    got.append(buf.data(), n);
    if (ec) {
      out.closed_by_server = ec == boost::asio::error::eof || ec == boost::asio::error::connection_reset;
      timer.cancel();
      return;
    }
    sock.async_read_some(boost::asio::buffer(buf), on_read);
  };
  sock.async_read_some(boost::asio::buffer(buf), on_read);
  io.run();
  return out;
}

// A whole call in raw HTTP/2: the preface, SETTINGS, HEADERS (HPACK by hand: POST, http, the path, an
// authority, content-type application/grpc) and one DATA frame with a HelloRequest, ending the stream.
/// One more request header for raw_call, HPACK "literal without indexing, new name" (names and values
/// under 127 bytes).
inline std::string hpack_literal(const std::string& name, const std::string& value) {
  return std::string(1, '\0') + static_cast<char>(name.size()) + name + static_cast<char>(value.size()) + value;
}
inline std::string raw_call(const std::string& path, const std::string& name, const std::string& more_headers = "") {
  auto frame = [](char type, char flags, const std::string& payload) {
    std::string f = {0, static_cast<char>(payload.size() >> 8), static_cast<char>(payload.size()), type, flags, 0, 0, 0, 1};
    return f + payload;
  };
  const std::string block = std::string("\x83\x86\x04") + static_cast<char>(path.size()) + path + "\x01\x01x" + "\x5f\x10" "application/grpc" + more_headers;
  const std::string message = std::string("\x0a") + static_cast<char>(name.size()) + name;
  return "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n" + std::string("\0\0\0\x04\0\0\0\0\0", 9) + frame(1, 4, block) +
         frame(0, 1, std::string(4, '\0') + static_cast<char>(message.size()) + message);
}

}  // namespace svckit::test
