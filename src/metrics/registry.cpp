#include <charconv>
#include "svckit/metrics/registry.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <stdexcept>

namespace svckit::metrics {

// Histogram ---------------------------------------------------------------------------------------------

Histogram::Histogram(std::vector<double> bounds)
    : bounds_(std::move(bounds)),
      lines_per_stripe_((bounds_.size() + 1 + 7) / 8),
      lines_(new Line[lines_per_stripe_ * detail::kStripes]) {}

void Histogram::observe(double v) {
  const auto i = static_cast<std::size_t>(std::lower_bound(bounds_.begin(), bounds_.end(), v) - bounds_.begin());
  const auto stripe = detail::this_thread_stripe();
  count(stripe, i).fetch_add(1, std::memory_order_relaxed);
  sums_[stripe].v.fetch_add(v, std::memory_order_relaxed);
}

Histogram::Snapshot Histogram::snapshot() const {
  Snapshot s;
  s.bounds = bounds_;
  std::uint64_t total = 0;
  for (std::size_t b = 0; b <= bounds_.size(); ++b) {
    for (std::size_t stripe = 0; stripe < detail::kStripes; ++stripe) total += count(stripe, b);
    s.cumulative.push_back(total);
  }
  s.count = total;
  s.sum = detail::sum(sums_);
  return s;
}

namespace detail {
std::size_t this_thread_stripe() {
  static std::atomic<std::size_t> next{0};
  thread_local const std::size_t stripe = next.fetch_add(1, std::memory_order_relaxed) % kStripes;
  return stripe;
}
}  // namespace detail

std::vector<double> default_latency_buckets() {
  return {0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10};
}

// Family ------------------------------------------------------------------------------------------------

template <class T>
T& Family<T>::with(const LabelValues& values) {
  if (values.size() != label_names_.size())
    throw std::invalid_argument("metric has " + std::to_string(label_names_.size()) + " labels, got " +
                                std::to_string(values.size()) + " values");
  std::lock_guard lock(mu_);
  auto it = children_.find(values);
  if (it == children_.end()) {
    std::unique_ptr<T> child;
    if constexpr (std::is_same_v<T, Histogram>) child = std::make_unique<T>(bounds_);
    else child = std::make_unique<T>();
    it = children_.emplace(values, std::move(child)).first;
  }
  return *it->second;
}

template class Family<Counter>;
template class Family<Gauge>;
template class Family<Histogram>;

// Registry ----------------------------------------------------------------------------------------------

namespace {

bool valid_name(const std::string& s, bool allow_colon) {
  if (s.empty()) return false;
  for (std::size_t i = 0; i < s.size(); ++i) {
    const char c = s[i];
    const bool alpha = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || (allow_colon && c == ':');
    if (!alpha && !(i > 0 && c >= '0' && c <= '9')) return false;
  }
  return true;
}

const char* type_name(Type t) {
  switch (t) {
    case Type::Counter: return "counter";
    case Type::Gauge: return "gauge";
    case Type::Histogram: return "histogram";
  }
  return "untyped";
}

// HELP text escapes backslash and newline; label values also escape the double quote.
std::string escape(const std::string& s, bool quote) {
  std::string out;
  out.reserve(s.size());
  for (char c : s) {
    if (c == '\\') out += "\\\\";
    else if (c == '\n') out += "\\n";
    else if (c == '"' && quote) out += "\\\"";
    else out += c;
  }
  return out;
}

std::string number(double v) {
  if (std::isnan(v)) return "NaN";
  if (std::isinf(v)) return v > 0 ? "+Inf" : "-Inf";
  // The shortest form that reads back exactly, in plain notation where that is as short: 50, not 5e+01
  // (what "%.1g" gave) nor 50.000000000000000.
  char buf[32];
  auto [end, ec] = std::to_chars(buf, buf + sizeof buf, v);
  return std::string(buf, ec == std::errc() ? end : buf);
}

// {a="x",b="y"} plus an optional extra pair (le="…" for histogram buckets); "" when there are no labels.
std::string label_set(const std::vector<std::string>& names, const LabelValues& values, const char* extra_name = nullptr,
                      const std::string& extra_value = {}) {
  if (names.empty() && !extra_name) return {};
  std::string out = "{";
  for (std::size_t i = 0; i < names.size(); ++i) {
    if (i) out += ',';
    out += names[i] + "=\"" + escape(values[i], true) + '"';
  }
  if (extra_name) {
    if (!names.empty()) out += ',';
    out += std::string(extra_name) + "=\"" + extra_value + '"';
  }
  return out + '}';
}

}  // namespace

std::shared_ptr<void> Registry::find_or_add(const std::string& name, Type type, const std::string& help,
                                            std::vector<std::string> label_names, std::vector<double> bounds) {
  if (!valid_name(name, true)) throw std::invalid_argument("invalid metric name: '" + name + "'");
  for (const auto& l : label_names) {
    if (!valid_name(l, false) || l.starts_with("__"))
      throw std::invalid_argument("invalid label name '" + l + "' on metric " + name);
    if (type == Type::Histogram && l == "le") throw std::invalid_argument("label 'le' is reserved on histogram " + name);
  }
  if (type == Type::Histogram && !std::is_sorted(bounds.begin(), bounds.end()))
    throw std::invalid_argument("histogram " + name + ": bucket bounds must ascend");
  std::lock_guard lock(mu_);
  if (auto it = families_.find(name); it != families_.end()) {
    const Entry& e = it->second;
    if (e.type != type || e.label_names != label_names || e.bounds != bounds)
      throw std::invalid_argument("metric " + name + " is already registered as a " + type_name(e.type) +
                                  " with other labels or buckets");
    return e.family;
  }
  std::shared_ptr<void> family;
  switch (type) {
    case Type::Counter: family = std::make_shared<Family<Counter>>(label_names); break;
    case Type::Gauge: family = std::make_shared<Family<Gauge>>(label_names); break;
    case Type::Histogram: family = std::make_shared<Family<Histogram>>(label_names, bounds); break;
  }
  families_.emplace(name, Entry{type, help, std::move(label_names), std::move(bounds), family});
  return family;
}

Family<Counter>& Registry::counter(const std::string& name, const std::string& help, std::vector<std::string> label_names) {
  return *std::static_pointer_cast<Family<Counter>>(find_or_add(name, Type::Counter, help, std::move(label_names), {}));
}

Family<Gauge>& Registry::gauge(const std::string& name, const std::string& help, std::vector<std::string> label_names) {
  return *std::static_pointer_cast<Family<Gauge>>(find_or_add(name, Type::Gauge, help, std::move(label_names), {}));
}

Family<Histogram>& Registry::histogram(const std::string& name, const std::string& help,
                                       std::vector<std::string> label_names, std::vector<double> bounds) {
  return *std::static_pointer_cast<Family<Histogram>>(
      find_or_add(name, Type::Histogram, help, std::move(label_names), std::move(bounds)));
}

std::string Registry::expose() const {
  std::lock_guard lock(mu_);
  std::string out;
  for (const auto& family : families_) {
    const std::string& name = family.first;  // named references: lambdas may not capture structured bindings
    const auto& e = family.second;           // (clang 14, which builds the fuzz targets)
    out += "# HELP " + name + ' ' + escape(e.help, false) + '\n';
    out += "# TYPE " + name + ' ' + type_name(e.type) + '\n';
    switch (e.type) {
      case Type::Counter:
        static_cast<const Family<Counter>*>(e.family.get())->each([&](const LabelValues& v, const Counter& c) {
          out += name + label_set(e.label_names, v) + ' ' + number(c.value()) + '\n';
        });
        break;
      case Type::Gauge:
        static_cast<const Family<Gauge>*>(e.family.get())->each([&](const LabelValues& v, const Gauge& g) {
          out += name + label_set(e.label_names, v) + ' ' + number(g.value()) + '\n';
        });
        break;
      case Type::Histogram:
        static_cast<const Family<Histogram>*>(e.family.get())->each([&](const LabelValues& v, const Histogram& h) {
          const auto s = h.snapshot();
          for (std::size_t i = 0; i <= s.bounds.size(); ++i) {
            const std::string le = i < s.bounds.size() ? number(s.bounds[i]) : "+Inf";
            out += name + "_bucket" + label_set(e.label_names, v, "le", le) + ' ' + std::to_string(s.cumulative[i]) + '\n';
          }
          out += name + "_sum" + label_set(e.label_names, v) + ' ' + number(s.sum) + '\n';
          out += name + "_count" + label_set(e.label_names, v) + ' ' + std::to_string(s.count) + '\n';
        });
        break;
    }
  }
  return out;
}

Registry& default_registry() {
  // Never destroyed: background threads (exporters, gRPC) may still count while the process exits.
  static Registry* r = new Registry;
  return *r;
}

}  // namespace svckit::metrics
