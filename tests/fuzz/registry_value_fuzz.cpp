// Fuzz target: what a registry holds (an instance's value: "host:port" or a JSON object with metadata, or a
// go-micro service's JSON, written by anyone who can write to etcd) and registry URLs (flags, config). Bad
// input is an error, never a crash, and a URL's password never appears in the error.
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "svckit/sd/go_micro.hpp"
#include "svckit/sd/instance.hpp"
#include "svckit/sd/registry.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view in(reinterpret_cast<const char*>(data), size);
  auto inst = svckit::sd::parse_instance("/services/fuzz/k", in);
  if (inst.ok() && inst->address.empty()) std::abort();
  // go-micro's form: what parses must survive svckit's own go-micro value unchanged.
  if (auto micro = svckit::sd::parse_go_micro_instance("/micro/registry/fuzz/k", in); micro.ok()) {
    if (micro->address.empty() || micro->weight < 1) std::abort();
    auto again = svckit::sd::parse_go_micro_instance(micro->key, svckit::sd::format_go_micro_instance("fuzz", *micro));
    auto expected = *micro;
    if (expected.version.empty()) expected.version = "latest";
    if (!again.ok() || !(*again == expected)) std::abort();
  }

  auto url = svckit::sd::parse_registry_url(in);
  if (!url.ok()) {
    // A password given in the URL must not be echoed back: the error is the same whatever the password
    // (a password that is text of the message itself, say "s \"h1r", must not count as a leak).
    auto sep = in.find("://");
    auto start = sep == std::string_view::npos ? 0 : sep + 3;
    auto end = in.find('/', start);
    auto at = in.substr(0, end).rfind('@');
    if (at != std::string_view::npos && at >= start) {
      auto colon = in.substr(start, at - start).find(':');
      auto from = colon == std::string_view::npos ? start : start + colon + 1;
      std::string other(in);
      for (auto i = from; i < at; ++i) other[i] = other[i] == 'X' ? 'Y' : 'X';
      auto again = svckit::sd::parse_registry_url(other);
      if (again.ok() || again.status().message() != url.status().message()) std::abort();
    }
  }
  (void)svckit::sd::redact_url(in);
  return 0;
}
