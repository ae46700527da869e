#include "svckit/sd/etcd/registry.hpp"

#include <stdexcept>

#include "svckit/sd/etcd/instancer.hpp"
#include "svckit/sd/etcd/registrar.hpp"

namespace svckit::sd::etcd {

namespace {

class EtcdRegistry final : public Registry {
 public:
  explicit EtcdRegistry(const RegistryUrl& u)
      : root_(root_of(u)),
        client_(Client::create({.endpoints = u.hosts, .username = u.username, .password = u.password})) {}
  std::unique_ptr<sd::Registrar> registrar(std::string_view service, Instance inst, std::chrono::seconds ttl) override {
    inst.key = service_prefix(root_, service) + inst.address;
    return std::make_unique<etcd::Registrar>(client_, std::move(inst), ttl);
  }
  std::shared_ptr<sd::Instancer> instancer(std::string_view service) override {
    return Instancer::create(client_, service_prefix(root_, service));
  }

 private:
  std::string root_;
  std::shared_ptr<Client> client_;
};

}  // namespace

std::string root_of(const RegistryUrl& url) {
  std::string root = url.path.empty() ? "/services/" : url.path;
  if (root.back() != '/') root += '/';
  return root;
}

std::string service_prefix(std::string_view root, std::string_view service) {
  return std::string(root) + std::string(service) + "/";
}

std::shared_ptr<Registry> open_registry(const RegistryUrl& url) {
  if (!url.query.empty()) throw std::invalid_argument("etcd:// takes no query (\"?" + url.query.substr(0, 64) + "\")");
  return std::make_shared<EtcdRegistry>(url);
}

}  // namespace svckit::sd::etcd
