// Test support: one blocking HTTP/1.0 request to 127.0.0.1 (for talking to service processes).
#pragma once

#include <string>

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/write.hpp>

namespace svckit::test {

struct HttpReply {
  int status = 0;  // 0: no answer (connection failed)
  std::string body;
};

inline HttpReply http_call(unsigned short port, const std::string& method, const std::string& path,
                           const std::string& body = "", const std::string& extra_headers = "") {
  try {
    boost::asio::io_context io;
    boost::asio::ip::tcp::socket s(io);
    s.connect({boost::asio::ip::make_address("127.0.0.1"), port});
    std::string req = method + " " + path + " HTTP/1.0\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n" +
                      extra_headers + "Content-Length: " + std::to_string(body.size()) + "\r\n\r\n" + body;
    boost::system::error_code ec;
    // A server may answer (413) and stop reading before the body is all sent: read its answer anyway.
    boost::asio::write(s, boost::asio::buffer(req), ec);
    std::string out;
    boost::asio::read(s, boost::asio::dynamic_buffer(out), ec);
    HttpReply r;
    if (out.size() > 12) r.status = std::stoi(out.substr(9, 3));
    auto split = out.find("\r\n\r\n");
    if (split != std::string::npos) r.body = out.substr(split + 4);
    return r;
  } catch (...) {
    return {};
  }
}

}  // namespace svckit::test
