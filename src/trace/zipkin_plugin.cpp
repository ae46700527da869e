// "zipkin" joins the trace exporters when svckit::zipkin is linked. The library's link options name
// svckit_plugin_zipkin (--undefined), so the linker keeps this file and runs its initialiser before main.
#include "svckit/trace/exporters.hpp"
#include "svckit/trace/zipkin.hpp"

extern "C" {
extern const bool svckit_plugin_zipkin;
const bool svckit_plugin_zipkin = svckit::trace::register_exporter(
    "zipkin", {.make = [](std::string_view url) { return std::make_shared<svckit::trace::ZipkinExporter>(url); },
               .url_error = svckit::trace::zipkin_url_error});
}
