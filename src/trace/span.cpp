#include "svckit/trace/span.hpp"

#include <atomic>
#include <mutex>

namespace svckit::trace {

namespace {

// The installed exporter and options, immutable once published. Replaced ones are kept (never freed) so a
// span that read the old pointer can still use it.
struct Installed {
  std::shared_ptr<Exporter> exporter;
  TracerOptions opts;
};

const Installed kNothing{};
std::atomic<const Installed*> g_installed{&kNothing};
std::mutex g_mu;
// Every exporter ever installed, never destroyed (not even at exit, when a late span may still arrive).
auto* g_kept = new std::vector<std::unique_ptr<Installed>>;

bool sample_new_trace(const Installed& in) {
  if (!in.exporter || in.opts.sample_rate <= 0) return false;
  if (in.opts.sample_rate >= 1) return true;
  // The top 53 bits of a random id, as a fraction in [0, 1).
  return static_cast<double>(new_span_id() >> 11) * 0x1.0p-53 < in.opts.sample_rate;
}

// Finished SpanData objects are kept per thread (a few dozen at most) and reused, with their tag vector's
// capacity: a recorded span then allocates only for strings longer than the small-string buffer.
constexpr std::size_t kSpareSpans = 32;
thread_local std::vector<std::unique_ptr<SpanData>> t_spare;

std::unique_ptr<SpanData> new_span_data() {
  if (t_spare.empty()) {
    auto d = std::make_unique<SpanData>();
    d->tags.reserve(6);  // what the transports add, with an error's two: one allocation, not one per tag
    return d;
  }
  auto d = std::move(t_spare.back());
  t_spare.pop_back();
  return d;
}

void recycle(std::unique_ptr<SpanData> d) {
  if (t_spare.size() >= kSpareSpans) return;
  d->name.clear();
  d->remote.clear();
  d->tags.clear();
  t_spare.push_back(std::move(d));
}

std::int64_t epoch_us() {
  return std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

}  // namespace

void set_exporter(std::shared_ptr<Exporter> exporter, TracerOptions opts) {
  auto in = std::make_unique<Installed>(Installed{std::move(exporter), std::move(opts)});
  std::lock_guard lock(g_mu);
  g_installed.store(in.get(), std::memory_order_release);
  g_kept->push_back(std::move(in));
}

Exporter* exporter() { return g_installed.load(std::memory_order_acquire)->exporter.get(); }

const TracerOptions& tracer_options() { return g_installed.load(std::memory_order_acquire)->opts; }

Span::Span(SpanKind kind, std::string_view name, const SpanContext& ctx, std::uint64_t parent_id)
    : ctx_(ctx), parent_id_(parent_id) {
  if (!ctx.sampled || exporter() == nullptr) return;
  started_ = std::chrono::steady_clock::now();
  data_ = new_span_data();
  data_->context = ctx;
  data_->parent_id = parent_id;
  data_->kind = kind;
  data_->name.assign(name);
  data_->start_us = epoch_us();
}

Span Span::server(std::string_view name, std::string_view traceparent) {
  if (!traceparent.empty()) {
    if (auto parent = parse_traceparent(traceparent)) {
      SpanContext ctx = *parent;
      ctx.span_id = new_span_id();
      return Span(SpanKind::Server, name, ctx, parent->span_id);
    }
  }
  return Span(SpanKind::Server, name, new_trace(sample_new_trace(*g_installed.load(std::memory_order_acquire))), 0);
}

Span Span::client(std::string_view name, const SpanContext& parent) {
  if (!parent.valid())
    return Span(SpanKind::Client, name, new_trace(sample_new_trace(*g_installed.load(std::memory_order_acquire))), 0);
  SpanContext ctx = parent;
  ctx.span_id = new_span_id();
  return Span(SpanKind::Client, name, ctx, parent.span_id);
}

void Span::set_remote(std::string_view address) {
  if (data_) data_->remote.assign(address);
}

void Span::tag(std::string_view key, std::string_view value) {
  if (data_) data_->tags.emplace_back(key, value);
}

void Span::end(const Status& status) {
  if (!data_) return;
  data_->duration_us = std::max<std::int64_t>(
      1, std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::steady_clock::now() - started_).count());
  if (!status.ok()) {
    data_->tags.emplace_back("svckit.code", std::string(to_string(status.code())));
    data_->tags.emplace_back("error", status.message().empty() ? std::string(to_string(status.code())) : status.message());
  }
  auto data = std::move(data_);
  if (auto* ex = exporter()) ex->export_span(std::move(*data));  // the exporter may take its strings
  recycle(std::move(data));
}

}  // namespace svckit::trace
