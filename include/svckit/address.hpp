// svckit/address.hpp — "host:port" strings, as flags and registries spell addresses.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>

namespace svckit {

/// Splits "host:port" (or "[v6]:port"); throws std::invalid_argument with a clear message when malformed.
std::pair<std::string, std::uint16_t> split_host_port(std::string_view address);

}  // namespace svckit
