// svckit/transport/grpc/wire_stream.hpp — a streaming call's messages, as bytes, on svckit's own gRPC wire.
//
// The server's handlers (wire_server.hpp) and the client's stream drivers (wire_channel.hpp) read and write
// serialised messages through these; both are used only from the call's own coroutine.
#pragma once

#include <functional>
#include <optional>
#include <string>

#include <boost/asio/awaitable.hpp>

namespace svckit::grpc {

/// A stream's way out.
class WireStreamWriter {
 public:
  /// Sends one serialised message. Waits while more than 256 KiB of this stream wait for the peer's flow
  /// control, so a peer that stops reading holds up the writer, not this process's memory. false once the
  /// stream is over (the peer cancelled or left, its deadline passed, a message was over the size limit):
  /// stop writing.
  virtual boost::asio::awaitable<bool> write(std::string message) = 0;

 protected:
  ~WireStreamWriter() = default;
};

/// A stream's way in.
class WireStreamReader {
 public:
  /// The peer's next serialised message, waiting for it to come; nullopt once the peer has sent its last
  /// or the call is over (cancelled, past its deadline, a message over the size limit or cut short). While
  /// more than 256 KiB of this stream's messages wait to be read, the peer's flow-control window stays
  /// shut: a reader that is slow holds up the peer, not this process's memory.
  virtual boost::asio::awaitable<std::optional<std::string>> read() = 0;

 protected:
  ~WireStreamReader() = default;
};

/// A client's way out on a client- or bidirectional-streaming call: close() sends nothing more (HTTP/2's
/// half-close: the server's reader sees the end).
class WireRequestWriter : public WireStreamWriter {
 public:
  virtual void close() = 0;

 protected:
  ~WireRequestWriter() = default;
};

/// A client- or bidirectional-streaming call from the client's side (WireChannel::bidi_stream): writes the
/// requests to `out`, reads the replies from `in`, in any order.
using WireStreamDriver = std::function<boost::asio::awaitable<void>(WireStreamReader& in, WireRequestWriter& out)>;

}  // namespace svckit::grpc
