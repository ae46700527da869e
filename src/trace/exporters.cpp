#include "svckit/trace/exporters.hpp"

#include <stdexcept>

#include "svckit/plugins.hpp"

namespace svckit::trace {

namespace {

// Empty until a component joins: svckit::zipkin registers "zipkin" when it is linked (zipkin_plugin.cpp).
NamedFactories<ExporterFactory>& kinds() { return NamedFactories<ExporterFactory>::once("trace exporter"); }

}  // namespace

std::shared_ptr<Exporter> make_exporter(std::string_view name, std::string_view url) {
  auto factory = kinds().find(name);
  if (factory.url_error)
    if (auto why = factory.url_error(url); !why.empty()) throw std::invalid_argument(why);
  auto exporter = factory.make(url);
  if (!exporter) throw std::invalid_argument("trace exporter \"" + std::string(name) + "\" made nothing");
  return exporter;
}

std::string exporter_url_error(std::string_view name, std::string_view url) {
  try {
    auto factory = kinds().find(name);
    return url.empty() || !factory.url_error ? std::string() : factory.url_error(url);
  } catch (const std::invalid_argument& e) {
    return e.what();
  }
}

std::vector<std::string> exporter_names() { return kinds().names(); }

bool register_exporter(std::string name, ExporterFactory factory) {
  if (!factory.make) throw std::invalid_argument("trace exporter \"" + name + "\" has no make");
  kinds().add(std::move(name), std::move(factory));
  return true;
}

}  // namespace svckit::trace
