#include "svckit/sd/static_registry.hpp"

#include <stdexcept>

#include "read_only_registrar.hpp"
#include "url_query.hpp"
#include "svckit/sd/static_instancer.hpp"

namespace svckit::sd {

namespace {

class StaticRegistry final : public Registry {
 public:
  StaticRegistry(const RegistryUrl& u, bool tls) {
    for (const auto& h : u.hosts) {
      auto i = parse_instance(h, h);  // as StaticInstancer::create(addresses)
      if (!i.ok()) throw std::invalid_argument(i.status().message());
      i->tls = tls;
      instances_.push_back(std::move(*i));
    }
  }
  std::unique_ptr<Registrar> registrar(std::string_view service, Instance inst, std::chrono::seconds) override {
    return std::make_unique<detail::ReadOnlyRegistrar>(std::string(service), inst.address, "static://");
  }
  std::shared_ptr<Instancer> instancer(std::string_view) override { return StaticInstancer::create(instances_); }

 private:
  std::vector<Instance> instances_;
};

}  // namespace

std::shared_ptr<Registry> open_static_registry(const RegistryUrl& url) {
  if (!url.path.empty()) throw std::invalid_argument("static:// takes no path");
  bool tls = false;  // ?tls=1: every instance listed serves TLS (as "tls":true in a registry's value)
  detail::for_each_param(url.query, [&](std::string_view key, std::string_view value) {
    if (key == "tls" && (value == "1" || value == "true")) tls = true;
    else if (!(key == "tls" && (value == "0" || value == "false")))
      throw std::invalid_argument("static:// takes only tls=1 (not \"" + std::string(key.substr(0, 64)) + "\")");
  });
  return std::make_shared<StaticRegistry>(url, tls);
}

}  // namespace svckit::sd
