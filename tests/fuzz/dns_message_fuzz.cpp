// Fuzz target: what a DNS server (or anyone answering in its place, or a spoofer) sends to dns+srv://'s
// resolver: parsed (src/sd/dns/message.hpp) and turned into instances (resolve_srv). Bad input is an error,
// never a crash, never a loop; what is accepted holds only well-formed addresses.
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "sd/dns/message.hpp"
#include "sd/dns/srv_instancer.hpp"
#include "svckit/address.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view bytes(reinterpret_cast<const char*>(data), size);
  auto answer = svckit::sd::dns::parse_answer(bytes);
  if (!answer.ok()) return 0;
  for (const auto& r : answer->answers)
    if (r.name.size() > 253 || r.target.size() > 253) std::abort();
  auto resolved = svckit::sd::dns::resolve_srv(*answer, {*answer});
  for (const auto& i : resolved.instances) {
    if (i.weight < 1) std::abort();
    (void)svckit::split_host_port(i.address);  // throws for a malformed address: the fuzzer reports it
  }
  return 0;
}
