// The grpc-timeout header (PROTOCOL-HTTP2.md): 1 to 8 ASCII digits and a unit, H M S m u n.
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <string_view>

namespace svckit::grpc::wire {

/// The timeout, or nothing when the value is not one (a malformed header is ignored, as gRPC servers do,
/// and the call runs without a deadline of the client's).
std::optional<std::chrono::nanoseconds> parse_grpc_timeout(std::string_view value);
/// The shortest exact-or-rounded-up encoding of d (at least 1n; up to 99999999H).
std::string format_grpc_timeout(std::chrono::nanoseconds d);

}  // namespace svckit::grpc::wire
