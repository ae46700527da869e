// svckit/metrics/registry.hpp — counters, gauges and histograms with labels, exposed in Prometheus's text format.
//
//   auto& calls = svckit::metrics::default_registry().counter(
//       "shop_orders_total", "Orders placed, by payment kind.", {"kind"});
//   calls.with({"card"}).inc();
//   std::string text = svckit::metrics::default_registry().expose();   // what GET /metrics serves
//
// A family is one metric name with fixed label names; with(values) returns the child for one combination
// of label values, created on first use and stable for the registry's life (keep the reference on hot
// paths: updating a child is one atomic operation, finding it takes a lock). Registering a name again with
// the same type and label names returns the existing family, so middleware built per endpoint can share one;
// a clash (other type or labels) or an invalid name throws std::invalid_argument.
// Thread-safety: everything may be used from any thread.
#pragma once

#include <array>
#include <atomic>
#include <cstdint>
#include <initializer_list>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

namespace svckit::metrics {

using LabelValues = std::vector<std::string>;

namespace detail {
// Updates are spread over a few cache lines, one per thread (round robin), so io threads counting the same
// metric do not fight over one line; reads add the stripes up.
inline constexpr std::size_t kStripes = 8;
std::size_t this_thread_stripe();
struct alignas(64) Cell {
  std::atomic<double> v{0};
};
using Cells = std::array<Cell, kStripes>;
inline double sum(const Cells& cells) {
  double total = 0;
  for (const auto& c : cells) total += c.v.load(std::memory_order_relaxed);
  return total;
}
}  // namespace detail

/// Only goes up (requests served, bytes sent).
class Counter {
 public:
  void inc(double by = 1) { cells_[detail::this_thread_stripe()].v.fetch_add(by, std::memory_order_relaxed); }
  double value() const { return detail::sum(cells_); }

 private:
  detail::Cells cells_;
};

/// Goes up and down (requests in flight, queue length). Use either set() (a sampled value) or inc()/dec()
/// (a running count) on one gauge: a set() racing an inc() on another thread may lose the inc().
class Gauge {
 public:
  void set(double v) {
    for (std::size_t i = 1; i < detail::kStripes; ++i) cells_[i].v.store(0, std::memory_order_relaxed);
    cells_[0].v.store(v, std::memory_order_relaxed);
  }
  void inc(double by = 1) { cells_[detail::this_thread_stripe()].v.fetch_add(by, std::memory_order_relaxed); }
  void dec(double by = 1) { inc(-by); }
  double value() const { return detail::sum(cells_); }

 private:
  detail::Cells cells_;
};

/// Counts observations into buckets by upper bound (latencies in seconds, sizes in bytes).
class Histogram {
 public:
  /// bounds: ascending upper bounds; +Inf is implicit.
  explicit Histogram(std::vector<double> bounds);
  void observe(double v);

  struct Snapshot {
    std::vector<double> bounds;
    std::vector<std::uint64_t> cumulative;  // per bound, then +Inf
    double sum = 0;
    std::uint64_t count = 0;
  };
  Snapshot snapshot() const;

 private:
  // Per stripe, a count per bucket (bounds_.size() + 1, the last is +Inf) packed into whole cache lines.
  struct alignas(64) Line {
    std::atomic<std::uint64_t> c[8] = {};
  };
  std::atomic<std::uint64_t>& count(std::size_t stripe, std::size_t bucket) {
    return lines_[stripe * lines_per_stripe_ + bucket / 8].c[bucket % 8];
  }
  std::uint64_t count(std::size_t stripe, std::size_t bucket) const {
    return lines_[stripe * lines_per_stripe_ + bucket / 8].c[bucket % 8].load(std::memory_order_relaxed);
  }
  std::vector<double> bounds_;
  std::size_t lines_per_stripe_;
  std::unique_ptr<Line[]> lines_;
  detail::Cells sums_;
};

/// Latency buckets in seconds, 0.5 ms to 10 s.
std::vector<double> default_latency_buckets();

enum class Type { Counter, Gauge, Histogram };

/// One metric name: its help text, label names, and a child per combination of label values.
template <class T>
class Family {
 public:
  Family(std::vector<std::string> label_names, std::vector<double> bounds = {})
      : label_names_(std::move(label_names)), bounds_(std::move(bounds)) {}

  /// The child for these label values (one per label name, in order); throws std::invalid_argument on a
  /// count mismatch.
  T& with(const LabelValues& values);
  const std::vector<std::string>& label_names() const { return label_names_; }

  /// Visits every child in label order (for exposition).
  template <class F>
  void each(F&& f) const {
    std::lock_guard lock(mu_);
    for (const auto& [values, child] : children_) f(values, *child);
  }

 private:
  std::vector<std::string> label_names_;
  std::vector<double> bounds_;  // histograms only
  mutable std::mutex mu_;
  std::map<LabelValues, std::unique_ptr<T>> children_;
};

class Registry {
 public:
  Family<Counter>& counter(const std::string& name, const std::string& help, std::vector<std::string> label_names = {});
  Family<Gauge>& gauge(const std::string& name, const std::string& help, std::vector<std::string> label_names = {});
  Family<Histogram>& histogram(const std::string& name, const std::string& help,
                               std::vector<std::string> label_names = {},
                               std::vector<double> bounds = default_latency_buckets());

  /// Every family in the Prometheus text exposition format (version 0.0.4), sorted by name.
  std::string expose() const;

 private:
  struct Entry {
    Type type;
    std::string help;
    std::vector<std::string> label_names;
    std::vector<double> bounds;
    std::shared_ptr<void> family;  // Family<Counter|Gauge|Histogram>
  };
  std::shared_ptr<void> find_or_add(const std::string& name, Type type, const std::string& help,
                                    std::vector<std::string> label_names, std::vector<double> bounds);

  mutable std::mutex mu_;
  std::map<std::string, Entry> families_;
};

/// The process-wide registry svckit's own middleware and the debug listener's /metrics use.
Registry& default_registry();

/// The content type of expose()'s output.
inline constexpr const char* kExpositionContentType = "text/plain; version=0.0.4; charset=utf-8";

}  // namespace svckit::metrics
