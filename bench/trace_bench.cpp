// What one span costs: recording it (open, the transports' tags, end, hand-off to an exporter that keeps
// it) and encoding it to Zipkin v2 JSON (ZipkinExporter does that at hand-off, on the request's thread).
// Run: build/bin/trace_bench
#include <benchmark/benchmark.h>

#include <vector>

#include "svckit/trace/span.hpp"
#include "svckit/trace/zipkin.hpp"

namespace {

// Keeps the last span so recording is measured without a queue or a collector.
class KeepLast : public svckit::trace::Exporter {
 public:
  void export_span(svckit::trace::SpanData&& span) override { last = std::move(span); }
  void flush(std::chrono::milliseconds) override {}
  svckit::trace::SpanData last;
};

// The HTTP server's span for POST /create, as the transport records it.
void record_http_server_span() {
  auto span = svckit::trace::Span::server("POST /create", "");
  if (span.recording()) {
    span.tag("http.method", "POST");
    span.tag("http.path", "/create");
    span.tag("http.status_code", "201");
    span.end(svckit::Status());
  }
  benchmark::DoNotOptimize(span.context());
}

void BM_SpanNotRecorded(benchmark::State& state) {  // ids are still made and propagated
  svckit::trace::set_exporter(nullptr);
  for (auto _ : state) record_http_server_span();
}
BENCHMARK(BM_SpanNotRecorded);

void BM_SpanRecorded(benchmark::State& state) {
  svckit::trace::set_exporter(std::make_shared<KeepLast>(), {.service_name = "users"});
  for (auto _ : state) record_http_server_span();
  svckit::trace::set_exporter(nullptr);
}
BENCHMARK(BM_SpanRecorded);

void BM_ZipkinJsonPerSpan(benchmark::State& state) {
  auto keep = std::make_shared<KeepLast>();
  svckit::trace::set_exporter(keep, {.service_name = "users"});
  record_http_server_span();
  svckit::trace::set_exporter(nullptr);
  keep->last.remote = "127.0.0.1:43210";
  std::vector<svckit::trace::SpanData> batch(2000, keep->last);
  std::size_t bytes = 0;
  for (auto _ : state) {
    auto json = svckit::trace::to_zipkin_json(batch, "users");
    bytes = json.size();
    benchmark::DoNotOptimize(json.data());
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations() * batch.size()));
  state.counters["bytes_per_span"] = static_cast<double>(bytes) / static_cast<double>(batch.size());
}
BENCHMARK(BM_ZipkinJsonPerSpan);

}  // namespace

BENCHMARK_MAIN();
