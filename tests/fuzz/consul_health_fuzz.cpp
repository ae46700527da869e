// Fuzz target: what a Consul agent (or anyone answering in its place) returns for /v1/health/service/<name>,
// read into instances by the consul:// backend (src/sd/consul/health.hpp). Bad input is an error, never a
// crash; what is accepted holds only well-formed instances.
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "sd/consul/health.hpp"
#include "svckit/address.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view body(reinterpret_cast<const char*>(data), size);
  auto entries = svckit::sd::consul::parse_health_entries(body);
  if (!entries.ok()) return 0;
  for (const auto& i : entries->instances) {
    if (i.key.empty() || i.weight < 1) std::abort();
    (void)svckit::split_host_port(i.address);  // throws (and the fuzzer reports it) for a malformed address
  }
  return 0;
}
