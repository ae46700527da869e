// svckit/log.hpp — structured logging: one line per event, key=value (logfmt) or JSON.
//
//   svckit::log::Logger log("users");
//   log.info("user created", {{"id", id}, {"request_id", ctx.request_id()}});
//   // ts=2026-11-21T10:00:00.123Z level=info logger=users msg="user created" id=42 request_id=9f…
//
// The output format, minimum level and sink are process-wide (configure()); services set them from the
// runner's --log-level/--log-format flags. Thread-safety: loggers may be used from any thread; each line is
// written with one call under a lock, so lines never interleave.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <initializer_list>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

namespace svckit {
class Context;
}

namespace svckit::log {

enum class Level { Debug = 0, Info = 1, Warn = 2, Error = 3 };
enum class Format { Logfmt, Json };

std::optional<Level> parse_level(std::string_view s);
std::optional<Format> parse_format(std::string_view s);

/// One key/value of a log line. Values are strings, integers, floats or booleans.
struct Field {
  using Value = std::variant<std::string_view, std::int64_t, double, bool>;
  std::string_view key;
  Value value;

  Field(std::string_view k, std::string_view v) : key(k), value(v) {}
  Field(std::string_view k, const std::string& v) : key(k), value(std::string_view(v)) {}
  Field(std::string_view k, const char* v) : key(k), value(std::string_view(v)) {}
  template <class I>
    requires std::is_integral_v<I> && (!std::is_same_v<I, bool>)
  Field(std::string_view k, I v) : key(k), value(static_cast<std::int64_t>(v)) {}
  Field(std::string_view k, double v) : key(k), value(v) {}
  Field(std::string_view k, bool v) : key(k), value(v) {}
};

/// Where finished lines go. The default writes to stderr.
using Sink = std::function<void(std::string_view line)>;

/// Sets the process-wide minimum level, format and sink (nullptr sink = stderr).
void configure(Level min_level, Format format, Sink sink = nullptr);
Level min_level();

class Logger {
 public:
  explicit Logger(std::string name = "svckit") : name_(std::move(name)) {}

  /// A logger whose every line also carries these fields.
  Logger with(std::initializer_list<Field> fields) const;
  /// A logger for one request: every line carries its request_id and trace_id, so the lines of one
  /// request can be found across services (`log.for_request(ctx).info("bug changed", {{"id", id}})`).
  Logger for_request(const Context& ctx) const;

  bool enabled(Level l) const { return l >= min_level(); }
  void log(Level level, std::string_view msg, std::initializer_list<Field> fields = {}) const;
  void debug(std::string_view msg, std::initializer_list<Field> f = {}) const { log(Level::Debug, msg, f); }
  void info(std::string_view msg, std::initializer_list<Field> f = {}) const { log(Level::Info, msg, f); }
  void warn(std::string_view msg, std::initializer_list<Field> f = {}) const { log(Level::Warn, msg, f); }
  void error(std::string_view msg, std::initializer_list<Field> f = {}) const { log(Level::Error, msg, f); }

 private:
  std::string name_;
  struct Bound {
    std::string key, json, logfmt;  // the value pre-rendered in both formats
  };
  void bind(std::string_view key, const Field::Value& value);
  std::vector<Bound> bound_;
};

/// Lets at most one line through per interval, for events a peer can repeat at will (bad headers, refused
/// connections): a flood of bad input must not become a flood of log lines. Thread-safe; lock-free.
///
///   if (auto n = throttle.pass()) log.warn("header dropped", {{"suppressed", *n}});
class Throttle {
 public:
  explicit Throttle(std::chrono::steady_clock::duration interval = std::chrono::seconds(1)) : interval_(interval) {}
  /// The number of events held back since the last line that passed when this one may be logged; nullopt
  /// when it must not (the event is counted instead).
  std::optional<std::uint64_t> pass();

 private:
  std::chrono::steady_clock::duration interval_;
  std::atomic<std::int64_t> next_{0};  // steady_clock ticks before which nothing passes
  std::atomic<std::uint64_t> held_{0};
};

}  // namespace svckit::log
