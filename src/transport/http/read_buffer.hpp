// Internal: sizing a connection's read buffer (HTTP server and client).
#pragma once

#include <algorithm>
#include <cstddef>

#include <boost/beast/core/flat_buffer.hpp>

namespace svckit::http::detail {

/// The most a connection's read buffer grows to.
inline constexpr std::size_t kLargeBodyRead = 64 * 1024;

/// Call after each message on a connection that stays open, with the size of its body. Beast reads at
/// most the buffer's free capacity (at least 512 bytes) per recv, and the parser empties the buffer into
/// the body as it goes: a buffer left at its first 512 bytes reads a 1 MB body in 2,000 recv calls. A
/// connection that carried a large body (a span exporter, an upload, a big listing) probably carries
/// more, so its buffer grows to read up to kLargeBodyRead bytes per call; connections of small messages
/// keep theirs small. Bytes already read ahead (a pipelined request) are kept.
inline void fit_read_buffer(boost::beast::flat_buffer& buffer, std::size_t body_size) {
  if (body_size > buffer.capacity() && buffer.capacity() < kLargeBodyRead)
    buffer.reserve(std::min(body_size, kLargeBodyRead));
}

}  // namespace svckit::http::detail
