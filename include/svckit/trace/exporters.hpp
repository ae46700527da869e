// svckit/trace/exporters.hpp — span exporters by name: what --trace-exporter chooses.
//
//   auto e = svckit::trace::make_exporter("zipkin", "http://127.0.0.1:9411/api/v2/spans");
//   svckit::trace::set_exporter(e, {.service_name = "users"});
//
// Built in: "zipkin" (trace/zipkin.hpp). An exporter of yours joins from its own file (plugins.hpp):
//
//   svckit::trace::register_exporter("otlp", {.make = make_otlp_exporter, .url_error = otlp_url_error});
//
// and every service then takes --trace-exporter otlp --trace-url URL.
// Thread-safety: every function may be called from any thread.
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "svckit/trace/span.hpp"

namespace svckit::trace {

struct ExporterFactory {
  /// A new exporter sending to `url`; throws std::invalid_argument for a URL it cannot use.
  std::function<std::shared_ptr<Exporter>(std::string_view url)> make;
  /// Why `url` cannot be used, or "" when it can: checked when flags are parsed (optional).
  std::function<std::string(std::string_view url)> url_error;
};

/// A new exporter of a registered kind; throws std::invalid_argument for an unknown name (naming the
/// known ones) or a URL the exporter cannot use.
std::shared_ptr<Exporter> make_exporter(std::string_view name, std::string_view url);
/// Why make_exporter(name, url) would fail, or ""; with an empty url, only whether the name is known.
std::string exporter_url_error(std::string_view name, std::string_view url);
/// Every registered exporter name, sorted.
std::vector<std::string> exporter_names();
/// Makes `name` known to make_exporter. Returns true, so it can initialise a static; throws
/// std::invalid_argument when the name is taken or malformed, or the factory has no make.
bool register_exporter(std::string name, ExporterFactory factory);

}  // namespace svckit::trace
