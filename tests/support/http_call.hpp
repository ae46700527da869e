// Test support: one blocking HTTP/1.0 request to 127.0.0.1 (for talking to service processes).
#pragma once

#include <cctype>
#include <string>
#include <string_view>

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/write.hpp>

namespace svckit::test {

struct HttpReply {
  int status = 0;  // 0: no answer (connection failed)
  std::string body;
  std::string headers;  // the status line and headers, as received
  /// A header's value (name matched case-insensitively), or empty.
  std::string header(std::string_view name) const {
    for (std::size_t at = headers.find("\r\n"); at != std::string::npos; at = headers.find("\r\n", at + 2)) {
      auto line = std::string_view(headers).substr(at + 2, headers.find("\r\n", at + 2) - at - 2);
      auto colon = line.find(':');
      if (colon != name.size()) continue;
      bool same = true;
      for (std::size_t i = 0; i < colon && same; ++i) same = std::tolower(line[i]) == std::tolower(name[i]);
      if (same) return std::string(line.substr(colon + (line.size() > colon + 1 && line[colon + 1] == ' ' ? 2 : 1)));
    }
    return {};
  }
};

inline HttpReply http_call(unsigned short port, const std::string& method, const std::string& path,
                           const std::string& body = "", const std::string& extra_headers = "") {
  try {
    boost::asio::io_context io;
    boost::asio::ip::tcp::socket s(io);
    s.connect({boost::asio::ip::make_address("127.0.0.1"), port});
    const bool own_type = extra_headers.find("Content-Type:") != std::string::npos;  // else JSON
    std::string req = method + " " + path + " HTTP/1.0\r\nHost: 127.0.0.1\r\n" +
                      (own_type ? "" : "Content-Type: application/json\r\n") + extra_headers + "Content-Length: " + std::to_string(body.size()) + "\r\n\r\n" + body;
    boost::system::error_code ec;
    // A server may answer (413) and stop reading before the body is all sent: read its answer anyway.
    boost::asio::write(s, boost::asio::buffer(req), ec);
    std::string out;
    boost::asio::read(s, boost::asio::dynamic_buffer(out), ec);
    HttpReply r;
    if (out.size() > 12) r.status = std::stoi(out.substr(9, 3));
    auto split = out.find("\r\n\r\n");
    if (split != std::string::npos) {
      r.body = out.substr(split + 4);
      r.headers = out.substr(0, split);
    }
    return r;
  } catch (...) {
    return {};
  }
}

}  // namespace svckit::test
