// Fuzz target: the W3C traceparent parser (every traced request's first header). A value it accepts must
// survive formatting and parsing again unchanged (for version 00 values it is the same text).
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "svckit/trace/span_context.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view in(reinterpret_cast<const char*>(data), size);
  auto sc = svckit::trace::parse_traceparent(in);
  if (!sc) return 0;
  if (!sc->valid()) std::abort();  // all-zero ids are refused, so what parses is valid
  const auto text = svckit::trace::format_traceparent(*sc);
  auto again = svckit::trace::parse_traceparent(text);
  if (!again || again->trace_hi != sc->trace_hi || again->trace_lo != sc->trace_lo || again->span_id != sc->span_id ||
      again->sampled != sc->sampled)
    std::abort();
  return 0;
}
