// Fuzz target: what a Nacos server (or anyone answering in its place) returns for /v1/ns/instance/list, a beat,
// /v1/ns/service/list and /v1/auth/login, read by the nacos:// backend (src/sd/nacos/instances.hpp). Bad input is an error,
// never a crash; what is accepted holds only well-formed instances.
#include <chrono>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "sd/nacos/instances.hpp"
#include "svckit/address.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view body(reinterpret_cast<const char*>(data), size);
  auto list = svckit::sd::nacos::parse_instance_list(body);
  if (list.ok()) {
    for (const auto& i : list->instances) {
      if (i.key.empty() || i.weight < 1 || i.weight > 1'000'000) std::abort();
      (void)svckit::split_host_port(i.address);  // throws (and the fuzzer reports it) for a malformed address
    }
  }
  (void)svckit::sd::nacos::beat_known(body);
  (void)svckit::sd::nacos::parse_service_list(body);
  if (auto login = svckit::sd::nacos::parse_login(body); login.ok())
    if (login->token.empty() || login->token.size() > 4096 || login->ttl.count() <= 0 || login->ttl > std::chrono::hours(24 * 366))
      std::abort();
  return 0;
}
