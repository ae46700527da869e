#include "svckit/log.hpp"

#include "svckit/codec/json.hpp"
#include "svckit/context.hpp"

#include <atomic>
#include <chrono>
#include <cstdio>
#include <ctime>
#include <mutex>

namespace svckit::log {
namespace {

struct Config {
  std::atomic<Level> level{Level::Info};
  std::atomic<Format> format{Format::Logfmt};
  std::mutex mu;  // guards sink and serialises writes
  Sink sink;
};

Config& config() {
  static Config c;
  return c;
}

constexpr std::string_view level_name(Level l) {
  switch (l) {
    case Level::Debug: return "debug";
    case Level::Info: return "info";
    case Level::Warn: return "warn";
    case Level::Error: return "error";
  }
  return "info";
}

bool needs_quotes(std::string_view s) {
  if (s.empty()) return true;
  for (char c : s)
    if (c <= ' ' || c == '"' || c == '=' || c == '\\' || static_cast<unsigned char>(c) >= 0x7f) return true;
  return false;
}

void append_string(std::string& out, std::string_view s, Format f) {
  if (f == Format::Logfmt && !needs_quotes(s)) {
    out += s;
    return;
  }
  out += '"';
  json::append_escaped(out, s);
  out += '"';
}

// Renders a value; strings come out quoted (JSON) or quoted-when-needed (logfmt).
std::string render(const Field::Value& v, Format f) {
  std::string out;
  std::visit(
      [&](const auto& x) {
        using T = std::decay_t<decltype(x)>;
        if constexpr (std::is_same_v<T, std::string_view>) append_string(out, x, f);
        else if constexpr (std::is_same_v<T, bool>) out += x ? "true" : "false";
        else if constexpr (std::is_same_v<T, double>) {
          char buf[32];
          std::snprintf(buf, sizeof buf, "%.6g", x);
          out += buf;
        } else out += std::to_string(x);
      },
      v);
  return out;
}

void append_pair(std::string& line, std::string_view key, std::string_view rendered, Format f) {
  if (f == Format::Json) {
    line += ",\"";
    json::append_escaped(line, key);
    line += "\":";
  } else {
    line += ' ';
    line += key;
    line += '=';
  }
  line += rendered;
}

std::string timestamp() {
  auto now = std::chrono::system_clock::now();
  auto secs = std::chrono::system_clock::to_time_t(now);
  auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(now.time_since_epoch()).count() % 1000;
  std::tm tm{};
  gmtime_r(&secs, &tm);
  char buf[64];
  std::snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900, tm.tm_mon + 1,
                tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, static_cast<int>(ms));
  return buf;
}

}  // namespace

std::optional<Level> parse_level(std::string_view s) {
  if (s == "debug") return Level::Debug;
  if (s == "info") return Level::Info;
  if (s == "warn" || s == "warning") return Level::Warn;
  if (s == "error") return Level::Error;
  return std::nullopt;
}

std::optional<Format> parse_format(std::string_view s) {
  if (s == "logfmt" || s == "text") return Format::Logfmt;
  if (s == "json") return Format::Json;
  return std::nullopt;
}

void configure(Level min_level, Format format, Sink sink) {
  auto& c = config();
  c.level = min_level;
  c.format = format;
  std::lock_guard lock(c.mu);
  c.sink = std::move(sink);
}

Level min_level() { return config().level.load(std::memory_order_relaxed); }

Logger Logger::with(std::initializer_list<Field> fields) const {
  Logger out = *this;
  // Rendered once per format, so bound fields cost nothing per line and read like the others.
  for (const auto& f : fields) out.bind(f.key, f.value);
  return out;
}

void Logger::bind(std::string_view key, const Field::Value& value) {
  bound_.push_back({std::string(key), render(value, Format::Json), render(value, Format::Logfmt)});
}

Logger Logger::for_request(const Context& ctx) const {
  Logger out = *this;
  out.bind("request_id", std::string_view(ctx.request_id()));
  if (ctx.span().valid()) {
    const std::string trace_id = trace::trace_id_hex(ctx.span());
    out.bind("trace_id", std::string_view(trace_id));
  }
  return out;
}

void Logger::log(Level level, std::string_view msg, std::initializer_list<Field> fields) const {
  auto& c = config();
  if (level < c.level.load(std::memory_order_relaxed)) return;
  const Format f = c.format.load(std::memory_order_relaxed);

  std::string line;
  line.reserve(160);
  if (f == Format::Json) {
    line += "{\"ts\":\"" + timestamp() + "\"";
    append_pair(line, "level", render(level_name(level), f), f);
  } else {
    line += "ts=" + timestamp();
    append_pair(line, "level", level_name(level), f);
  }
  append_pair(line, "logger", render(std::string_view(name_), f), f);
  append_pair(line, "msg", render(msg, f), f);
  for (const auto& b : bound_) append_pair(line, b.key, f == Format::Json ? b.json : b.logfmt, f);
  for (const auto& field : fields) append_pair(line, field.key, render(field.value, f), f);
  if (f == Format::Json) line += '}';
  line += '\n';

  std::lock_guard lock(c.mu);
  if (c.sink) {
    c.sink(line);
  } else {
    std::fwrite(line.data(), 1, line.size(), stderr);
  }
}

std::optional<std::uint64_t> Throttle::pass() {
  const auto now = std::chrono::steady_clock::now().time_since_epoch().count();
  auto next = next_.load(std::memory_order_relaxed);
  if (now < next || !next_.compare_exchange_strong(next, now + interval_.count(), std::memory_order_relaxed)) {
    held_.fetch_add(1, std::memory_order_relaxed);
    return std::nullopt;
  }
  return held_.exchange(0, std::memory_order_relaxed);
}

}  // namespace svckit::log
