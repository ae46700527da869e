#include "svckit/address.hpp"

#include <charconv>
#include <stdexcept>

namespace svckit {

namespace {
// A DNS name is at most 253 bytes; with brackets, a colon and a port, an address is well under this.
constexpr std::size_t kMaxAddressBytes = 512;
constexpr std::size_t kShownBytes = 80;
}  // namespace

std::pair<std::string, std::uint16_t> split_host_port(std::string_view address) {
  auto bad = [&](const char* why) {
    // Addresses come from registries anyone may have written to: the message shows a bounded part.
    std::string shown = address.size() > kShownBytes ? std::string(address.substr(0, kShownBytes)) + "…" : std::string(address);
    return std::invalid_argument("bad address \"" + shown + "\": " + why + " (want host:port)");
  };
  if (address.size() > kMaxAddressBytes) throw bad("longer than 512 bytes");
  auto colon = address.rfind(':');
  if (colon == std::string_view::npos) throw bad("no port");
  std::string_view host = address.substr(0, colon);
  std::string_view port = address.substr(colon + 1);
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']') host = host.substr(1, host.size() - 2);
  if (host.empty()) throw bad("no host");
  unsigned value = 0;
  auto [p, ec] = std::from_chars(port.data(), port.data() + port.size(), value);
  if (port.empty() || ec != std::errc() || p != port.data() + port.size() || value > 65535) throw bad("bad port");
  return {std::string(host), static_cast<std::uint16_t>(value)};
}

std::string join_host_port(std::string_view host, std::uint16_t port) {
  std::string h(host);
  if (h.find(':') != std::string::npos) h = "[" + h + "]";
  return h + ":" + std::to_string(port);
}

}  // namespace svckit
