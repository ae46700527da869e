#include "svckit/address.hpp"

#include <charconv>
#include <stdexcept>

namespace svckit {

std::pair<std::string, std::uint16_t> split_host_port(std::string_view address) {
  auto bad = [&](const char* why) {
    return std::invalid_argument("bad address \"" + std::string(address) + "\": " + why + " (want host:port)");
  };
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
