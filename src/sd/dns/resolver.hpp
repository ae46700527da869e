// Asks one DNS server over UDP — and again over TCP when the answer comes back truncated (RFC 7766) — from
// the io_context it is given (the dns+srv:// registry's thread).
#pragma once

#include <chrono>
#include <string>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/ip/udp.hpp>

#include "message.hpp"

namespace svckit::sd::dns {

class Resolver {
 public:
  /// `server`: host:port of the DNS server (an IP address).
  Resolver(boost::asio::any_io_executor ex, const std::string& server);
  /// The answer to one question: the server's answer whatever its rcode (NXDOMAIN included); a Status when
  /// no well-formed answer to this question came back within `timeout` (two tries). Answers from another
  /// address, or with another id, are ignored (a spoofer must guess both). A truncated answer is asked for
  /// again over TCP, with `timeout` of its own.
  boost::asio::awaitable<Result<Answer>> query(std::string name, RecordType type, std::chrono::milliseconds timeout);
  const std::string& server() const { return server_text_; }

 private:
  boost::asio::awaitable<Result<Answer>> query_tcp(const std::string& packet, std::uint16_t id, std::chrono::milliseconds timeout);

  boost::asio::any_io_executor ex_;
  boost::asio::ip::udp::endpoint server_;
  std::string server_text_;
};

/// The first nameserver in /etc/resolv.conf with port 53, or 127.0.0.1:53 when there is none.
std::string system_resolver();

}  // namespace svckit::sd::dns
