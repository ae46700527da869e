// Tests' raw HTTP/2 over a real socket: bytes written by hand, as a hostile or minimal peer would send them.
#pragma once

#include <array>
#include <chrono>
#include <cstdint>
#include <functional>
#include <string>
#include <utility>
#include <vector>

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/write.hpp>
#include <nghttp2/nghttp2.h>

namespace svckit::test {

// Sends bytes and reads until the server closes the connection, `enough` says what came is enough, or
// `wait` passes; what came back, and whether the server closed it.
struct Exchange {
  std::string got;
  bool closed_by_server = false;
};
inline Exchange exchange(unsigned short port, const std::string& bytes, std::chrono::milliseconds wait = std::chrono::seconds(5), bool half_close = false,
                         const std::function<bool(const std::string& got)>& enough = {}) {
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
    if (enough && enough(got)) {
      timer.cancel();
      return;
    }
    sock.async_read_some(boost::asio::buffer(buf), on_read);
  };
  sock.async_read_some(boost::asio::buffer(buf), on_read);
  io.run();
  return out;
}

/// One HTTP/2 frame: its 9-byte header (payloads under 16 MiB), then the payload.
inline std::string h2_frame(char type, char flags, std::uint32_t stream, const std::string& payload) {
  std::string f = {static_cast<char>(payload.size() >> 16), static_cast<char>(payload.size() >> 8), static_cast<char>(payload.size()),
                   type, flags, static_cast<char>(stream >> 24), static_cast<char>(stream >> 16), static_cast<char>(stream >> 8),
                   static_cast<char>(stream)};
  return f + payload;
}

/// What a client sends first: the connection preface and an empty SETTINGS frame.
inline std::string h2_preface() { return "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n" + h2_frame(4, 0, 0, ""); }

/// One more request header for raw_call, HPACK "literal without indexing, new name" (names and values
/// under 127 bytes).
inline std::string hpack_literal(const std::string& name, const std::string& value) {
  return std::string(1, '\0') + static_cast<char>(name.size()) + name + static_cast<char>(value.size()) + value;
}

/// A gRPC request's header block, HPACK by hand: POST, http, the path, an authority, content-type
/// application/grpc, then `more_headers`.
inline std::string grpc_request_block(const std::string& path, const std::string& more_headers = "") {
  return std::string("\x83\x86\x04") + static_cast<char>(path.size()) + path + "\x01\x01x" + "\x5f\x10" "application/grpc" + more_headers;
}

/// A whole call in raw HTTP/2: the preface, SETTINGS, HEADERS and one DATA frame with a HelloRequest,
/// ending the stream.
inline std::string raw_call(const std::string& path, const std::string& name, const std::string& more_headers = "") {
  const std::string message = std::string("\x0a") + static_cast<char>(name.size()) + name;
  return h2_preface() + h2_frame(1, 4, 1, grpc_request_block(path, more_headers)) +
         h2_frame(0, 1, 1, std::string(4, '\0') + static_cast<char>(message.size()) + message);
}

/// A frame as it came from the server.
struct H2Frame {
  int type = 0;
  int flags = 0;
  std::uint32_t stream = 0;
  std::string payload;
};

/// The whole frames in what a server sent (a frame cut off at the end is left out).
inline std::vector<H2Frame> h2_frames(const std::string& bytes) {
  std::vector<H2Frame> frames;
  for (std::size_t at = 0; at + 9 <= bytes.size();) {
    auto byte = [&](std::size_t i) { return static_cast<std::uint32_t>(static_cast<unsigned char>(bytes[at + i])); };
    const std::size_t length = byte(0) << 16 | byte(1) << 8 | byte(2);
    if (at + 9 + length > bytes.size()) break;
    frames.push_back({static_cast<int>(byte(3)), static_cast<int>(byte(4)), (byte(5) << 24 | byte(6) << 16 | byte(7) << 8 | byte(8)) & 0x7fffffffu,
                      bytes.substr(at + 9, length)});
    at += 9 + length;
  }
  return frames;
}

/// The header fields of every HEADERS frame (and its CONTINUATIONs) on `stream`, in order, decoded with
/// nghttp2's HPACK decoder fed every header block of the connection (its table spans streams). Blocks
/// with padding or priority are not expected from a server.
inline std::vector<std::pair<std::string, std::string>> h2_headers_on(const std::vector<H2Frame>& frames, std::uint32_t stream) {
  std::vector<std::pair<std::string, std::string>> out;
  nghttp2_hd_inflater* inflater = nullptr;
  if (nghttp2_hd_inflate_new(&inflater) != 0) return out;
  for (std::size_t i = 0; i < frames.size(); ++i) {
    if (frames[i].type != 1) continue;
    std::string block = frames[i].payload;
    for (std::size_t j = i + 1; j < frames.size() && frames[j].type == 9; ++j) block += frames[j].payload;
    const auto* in = reinterpret_cast<const std::uint8_t*>(block.data());
    std::size_t left = block.size();
    for (;;) {
      nghttp2_nv nv;
      int flags = 0;
      const auto used = nghttp2_hd_inflate_hd2(inflater, &nv, &flags, in, left, 1);
      if (used < 0) break;
      in += used;
      left -= static_cast<std::size_t>(used);
      if ((flags & NGHTTP2_HD_INFLATE_EMIT) && frames[i].stream == stream)
        out.emplace_back(std::string(reinterpret_cast<const char*>(nv.name), nv.namelen), std::string(reinterpret_cast<const char*>(nv.value), nv.valuelen));
      if (flags & NGHTTP2_HD_INFLATE_FINAL) {
        nghttp2_hd_inflate_end_headers(inflater);
        break;
      }
      if (used == 0 && !(flags & NGHTTP2_HD_INFLATE_EMIT)) break;
    }
  }
  nghttp2_hd_inflate_del(inflater);
  return out;
}

/// The value of the last `name` among `headers`; "" if none.
inline std::string h2_header(const std::vector<std::pair<std::string, std::string>>& headers, const std::string& name) {
  std::string value;
  for (const auto& [k, v] : headers)
    if (k == name) value = v;
  return value;
}

}  // namespace svckit::test
