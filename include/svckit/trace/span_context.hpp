// svckit/trace/span_context.hpp — the identity of a span as it travels: W3C Trace Context `traceparent`.
//
//   traceparent: 00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01
//                ^^ version  ^^ trace id (128 bit)  ^^ parent span id  ^^ flags (01 = sampled)
//
// Transports read the header (HTTP `traceparent`, gRPC metadata `traceparent`) into the request's
// Context and write it on every outgoing call, so one trace follows a request through every service.
// A header that does not parse is ignored and the server starts a new trace (the W3C rule: never trust
// half of a malformed header). See https://www.w3.org/TR/trace-context/.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace svckit::trace {

inline constexpr std::string_view kTraceparentHeader = "traceparent";
inline constexpr std::string_view kTracestateHeader = "tracestate";

struct SpanContext {
  std::uint64_t trace_hi = 0;  // the 128-bit trace id, high half
  std::uint64_t trace_lo = 0;
  std::uint64_t span_id = 0;
  bool sampled = false;  // the caller records this trace: record ours too

  /// A valid context has a non-zero trace id and span id (all-zero ids are invalid on the wire).
  bool valid() const { return (trace_hi | trace_lo) != 0 && span_id != 0; }
  bool same_trace(const SpanContext& o) const { return trace_hi == o.trace_hi && trace_lo == o.trace_lo; }
};

/// Parses a traceparent header value; nullopt when it is malformed (wrong length or separators,
/// upper-case or non-hex digits, all-zero ids, version ff). Versions above 00 are read by their 00
/// prefix, as the spec asks.
std::optional<SpanContext> parse_traceparent(std::string_view value);
/// The header value for a span: "00-<trace id>-<span id>-<flags>".
std::string format_traceparent(const SpanContext& sc);

/// Lower-case hex: 32 characters for the trace id, 16 for a span id. The buffer overloads write
/// exactly that many characters and allocate nothing (for log lines on the hot path).
std::string trace_id_hex(const SpanContext& sc);
std::string span_id_hex(std::uint64_t id);
void write_trace_id_hex(const SpanContext& sc, char out[32]);
void write_span_id_hex(std::uint64_t id, char out[16]);

/// A random non-zero 64-bit id (per-thread generator, no lock).
std::uint64_t new_span_id();
/// A new trace's context: random trace id and span id.
SpanContext new_trace(bool sampled);

}  // namespace svckit::trace
