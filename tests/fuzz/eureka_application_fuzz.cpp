// Fuzz target: what a Eureka server (or anyone answering in its place) returns for GET /apps/<APP>, read into
// instances by the eureka:// backend (src/sd/eureka/application.hpp). Bad input is an error, never a crash;
// what is accepted holds only well-formed instances.
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "sd/eureka/application.hpp"
#include "svckit/address.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view body(reinterpret_cast<const char*>(data), size);
  auto app = svckit::sd::eureka::parse_application(body);
  if (app.ok()) {
    for (const auto& i : app->instances) {
      if (i.key.empty() || i.weight < 1) std::abort();
      (void)svckit::split_host_port(i.address);  // throws (and the fuzzer reports it) for a malformed address
    }
  }
  (void)svckit::sd::eureka::parse_application_names(body);
  return 0;
}
