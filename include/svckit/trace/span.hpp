// svckit/trace/span.hpp — recording spans, and where finished spans go.
//
// The transports do the work: every HTTP and gRPC server opens a SERVER span per request (continuing the
// caller's trace from `traceparent`, or starting one) and puts it in the request's Context; every HTTP
// and gRPC client call opens a CLIENT span, a child of the Context's span, and sends its id in
// `traceparent`. A balanced call with retries therefore shows one CLIENT span per attempt. Services only
// choose where spans go:
//
//   svckit::trace::set_exporter(std::make_shared<svckit::trace::ZipkinExporter>(url), {.service_name = "users"});
//
// (the runner does this for --zipkin-url). Without an exporter, ids are still made and propagated (so
// logs carry a trace id and downstream services can record) but nothing is recorded.
// Sampling: a request that arrives with a valid traceparent follows its caller's sampled flag; a new trace
// is sampled with probability TracerOptions::sample_rate.
// Thread-safety: a Span belongs to one request; set_exporter may be called at any time from any thread.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "svckit/status.hpp"
#include "svckit/trace/span_context.hpp"

namespace svckit::trace {

enum class SpanKind { Server, Client };

/// A finished span, as exporters receive it.
struct SpanData {
  SpanContext context;
  std::uint64_t parent_id = 0;  // 0: a root span
  SpanKind kind = SpanKind::Server;
  std::string name;             // "POST /users", "bugtracker.Notificator/SendEmail"
  std::string remote;           // the peer's "host:port" when known
  std::int64_t start_us = 0;    // microseconds since the Unix epoch
  std::int64_t duration_us = 0;
  std::vector<std::pair<std::string, std::string>> tags;
};

/// Where finished spans go. export_span is called on the request path: it must queue and return, never
/// block or throw.
class Exporter {
 public:
  virtual ~Exporter() = default;
  virtual void export_span(SpanData&& span) = 0;
  /// Sends what is queued, waiting at most `timeout` (called at shutdown).
  virtual void flush(std::chrono::milliseconds timeout) = 0;
};

struct TracerOptions {
  std::string service_name = "svckit";  // Zipkin's localEndpoint.serviceName
  double sample_rate = 1.0;             // share of new traces recorded, 0..1
};

/// Installs the process-wide exporter (nullptr: record nothing). An exporter once installed is kept alive
/// until exit, so spans still in flight when it is replaced never see it destroyed.
void set_exporter(std::shared_ptr<Exporter> exporter, TracerOptions opts = {});
/// The installed exporter, or nullptr.
Exporter* exporter();
const TracerOptions& tracer_options();

/// One span in progress. Default-constructed: no span (every member is a no-op).
class Span {
 public:
  Span() = default;
  Span(Span&&) noexcept = default;
  Span& operator=(Span&&) noexcept = default;

  /// A SERVER span: continues the caller's trace when `traceparent` parses, else starts a new trace.
  static Span server(std::string_view name, std::string_view traceparent);
  /// A CLIENT span: a child of `parent` (a new trace when parent is not valid, e.g. a background job).
  static Span client(std::string_view name, const SpanContext& parent);

  /// This span's identity: what goes into the Context (server) or on the wire (client).
  const SpanContext& context() const { return ctx_; }
  std::uint64_t parent_id() const { return parent_id_; }
  /// True when the span will be exported: sampled and an exporter is installed. Tags cost nothing otherwise.
  bool recording() const { return data_ != nullptr; }

  void set_remote(std::string_view address);
  void tag(std::string_view key, std::string_view value);
  /// Ends the span: a failed status adds the `error` tag (Zipkin marks the span failed) and the svckit
  /// code; a recording span goes to the exporter. Later calls do nothing.
  void end(const Status& status);

 private:
  Span(SpanKind kind, std::string_view name, const SpanContext& ctx, std::uint64_t parent_id);

  SpanContext ctx_;
  std::uint64_t parent_id_ = 0;
  std::chrono::steady_clock::time_point started_;
  std::unique_ptr<SpanData> data_;  // only while recording
};

}  // namespace svckit::trace
