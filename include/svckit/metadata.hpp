// svckit/metadata.hpp — what a metadata key or value may contain, so that bytes from one wire are safe on
// every other.
//
// A Context carries metadata from the wire it arrived on (HTTP headers, gRPC metadata) to the calls it
// makes (gRPC metadata, HTTP headers). HTTP allows bytes in header values that gRPC refuses (grpc++ aborts
// the process on them), and both wires have size limits. These checks are the one rule every path uses:
// Context refuses what fails them, and clients check again before writing, so no byte sequence a peer
// sends can reach a transport that would choke on it.
// Thread-safety: pure functions.
#pragma once

#include <cstddef>
#include <string_view>

namespace svckit {

/// Longest metadata key and value svckit carries (gRPC's default limit for all metadata is 8 KiB).
inline constexpr std::size_t kMaxMetadataKey = 256;
inline constexpr std::size_t kMaxMetadataValue = 8192;
/// Longest request id accepted from a peer; longer ones are replaced by a fresh id.
inline constexpr std::size_t kMaxRequestId = 128;

/// gRPC's rule for keys: non-empty, lower-case letters, digits, '-', '_' and '.', at most kMaxMetadataKey.
bool valid_metadata_key(std::string_view key);
/// Values of keys ending in "-bin" may hold any bytes; others only printable ASCII (0x20-0x7E), the
/// characters both HTTP and gRPC carry unchanged. At most kMaxMetadataValue bytes either way.
bool valid_metadata_value(std::string_view key, std::string_view value);
/// A request id: 1 to kMaxRequestId visible ASCII characters (0x21-0x7E), no spaces.
bool valid_request_id(std::string_view id);

}  // namespace svckit
