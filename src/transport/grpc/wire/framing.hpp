// gRPC's message framing on HTTP/2 DATA (PROTOCOL-HTTP2.md, "Length-Prefixed-Message"): a compressed flag
// byte, a 4-byte big-endian length, the message. Pure byte handling, fuzzed (tests/fuzz/grpc_wire_fuzz.cpp).
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "svckit/status.hpp"

namespace svckit::grpc::wire {

/// Reads messages from DATA payloads as they arrive, in pieces of any size.
class MessageReader {
 public:
  explicit MessageReader(std::size_t max_message_bytes) : max_(max_message_bytes) {}

  /// Takes the next bytes of the stream. An error (and every later call returns it) for a compressed
  /// message (we announce no encoding, so a peer may not send one) or a length over the limit, which is
  /// refused before any of the message is buffered.
  Status feed(std::string_view bytes);
  /// The messages completed so far, in order; the caller may move them out (a unary call's one message).
  std::vector<std::string>& messages() { return done_; }
  /// A stream's next completed message not taken yet, if any (messages are taken one at a time).
  std::optional<std::string> take();
  /// A completed message is there to take().
  bool has_message() const { return next_ < done_.size(); }
  /// Bytes of the completed messages not taken yet.
  std::size_t waiting_bytes() const { return waiting_; }
  /// Bytes of an unfinished message (or prefix) are buffered: the stream ended in the middle of one.
  bool partial() const { return prefix_len_ > 0; }

 private:
  std::size_t max_;
  Status error_;
  unsigned char prefix_[5]{};
  std::size_t prefix_len_ = 0;  // > 0 from a message's first byte until its last
  bool prefix_done_ = false;
  std::size_t want_ = 0;  // the current message's length, once the prefix is read
  std::size_t have_ = 0;
  std::string current_;
  std::vector<std::string> done_;
  std::size_t next_ = 0;     // done_[next_] is the next to take()
  std::size_t waiting_ = 0;  // bytes of done_[next_...]
};

/// The 5-byte prefix and the message, ready for DATA frames.
std::string frame_message(std::string_view message);

}  // namespace svckit::grpc::wire
