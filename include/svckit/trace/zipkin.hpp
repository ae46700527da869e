// svckit/trace/zipkin.hpp — exports spans to a Zipkin collector (v2 JSON over HTTP).
//
//   auto zipkin = std::make_shared<svckit::trace::ZipkinExporter>("http://127.0.0.1:9411/api/v2/spans");
//   svckit::trace::set_exporter(zipkin, {.service_name = "users"});
//
// Off the request path: export_span() encodes the span to JSON (~0.3 µs, while it is still in the
// request thread's cache) and appends it to the calling thread's own batch (a lock no other request
// thread takes, never a wait). One background thread posts a batch as soon as it fills, and collects
// partial ones every flush_interval. The queue is bounded (max_queue spans over all threads): when it is
// full, new spans are dropped, not waited for; when the collector is down or slow (timeout), the batch is
// dropped. Both are counted in svckit_trace_spans_dropped_total{reason},
// so tracing trouble never slows or fails a request. Exported spans: svckit_trace_spans_exported_total.
// The URL is plain http://host[:port][/path]; the port defaults to 9411 and the path to /api/v2/spans.
// Thread-safety: every member may be called from any thread.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "svckit/trace/span.hpp"

namespace svckit::trace {

struct ZipkinOptions {
  std::size_t max_queue = 20000;                    // spans waiting to be sent, all threads; beyond it, dropped
  std::size_t max_batch = 2000;                     // spans per POST (each thread fills its own batches)
  std::chrono::milliseconds flush_interval{500};    // a partial batch waits at most this long
  std::chrono::milliseconds timeout{2000};          // per POST
};

class ZipkinExporter final : public Exporter {
 public:
  /// Throws std::invalid_argument for a URL that is not http://host[:port][/path].
  explicit ZipkinExporter(std::string_view url, ZipkinOptions opts = {});
  /// Sends what is queued (up to the POST timeout), then stops the background thread.
  ~ZipkinExporter() override;

  void export_span(SpanData&& span) override;
  /// Sends every span exported before the call, from every thread; returns when they are sent or dropped,
  /// or after `timeout`.
  void flush(std::chrono::milliseconds timeout) override;

  std::uint64_t exported() const;  // spans the collector accepted
  std::uint64_t dropped() const;   // spans lost: queue full or collector unreachable

 private:
  struct Impl;
  std::shared_ptr<Impl> impl_;
};

/// Why `url` cannot be used as a collector URL, or "" when it can.
std::string zipkin_url_error(std::string_view url);

/// A Zipkin v2 JSON array of spans, every one with localEndpoint.serviceName = `service`.
std::string to_zipkin_json(const std::vector<SpanData>& spans, std::string_view service);

}  // namespace svckit::trace
