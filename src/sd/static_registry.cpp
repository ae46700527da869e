#include "svckit/sd/static_registry.hpp"

#include <stdexcept>

#include "read_only_registrar.hpp"
#include "svckit/sd/static_instancer.hpp"

namespace svckit::sd {

namespace {

class StaticRegistry final : public Registry {
 public:
  explicit StaticRegistry(const RegistryUrl& u) : hosts_(u.hosts) {}
  std::unique_ptr<Registrar> registrar(std::string_view service, Instance inst, std::chrono::seconds) override {
    return std::make_unique<detail::ReadOnlyRegistrar>(std::string(service), inst.address, "static://");
  }
  std::shared_ptr<Instancer> instancer(std::string_view) override { return StaticInstancer::create(hosts_); }

 private:
  std::vector<std::string> hosts_;
};

}  // namespace

std::shared_ptr<Registry> open_static_registry(const RegistryUrl& url) {
  if (!url.path.empty() || !url.query.empty()) throw std::invalid_argument("static:// takes no path or query");
  return std::make_shared<StaticRegistry>(url);
}

}  // namespace svckit::sd
