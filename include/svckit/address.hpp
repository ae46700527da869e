// svckit/address.hpp — "host:port" strings, as flags and registries spell addresses.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>

namespace svckit {

/// Splits "host:port" (or "[v6]:port"); throws std::invalid_argument with a clear message when malformed.
std::pair<std::string, std::uint16_t> split_host_port(std::string_view address);

/// "host:port", with an IPv6 host in brackets ("[::1]:8080").
std::string join_host_port(std::string_view host, std::uint16_t port);

/// The address a server bound to `listen_address` (as given in a flag, maybe with port 0) is reachable
/// at, once it listens on `port`: what to register in a registry.
inline std::string bound_address(std::string_view listen_address, std::uint16_t port) {
  return join_host_port(split_host_port(listen_address).first, port);
}

}  // namespace svckit
