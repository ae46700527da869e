// Fuzz target: the file:// registry's instances file (svckit/sd/instance_file.hpp), which anyone who can
// write the file controls. The first byte picks JSON or YAML. Bad input is an error, never a crash; what is
// accepted holds only well-formed instances.
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "svckit/sd/instance_file.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  auto format = data[0] & 1 ? svckit::sd::InstanceFileFormat::yaml : svckit::sd::InstanceFileFormat::json;
  std::string_view text(reinterpret_cast<const char*>(data) + 1, size - 1);
  auto file = svckit::sd::parse_instance_file(text, format);
  if (!file.ok()) return 0;
  for (const auto& [service, instances] : file->services) {
    if (service.empty() || service.find('/') != std::string::npos) std::abort();
    for (const auto& i : instances)
      if (i.address.empty() || i.key != i.address || i.weight < 1) std::abort();
  }
  return 0;
}
