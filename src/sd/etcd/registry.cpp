#include "svckit/sd/etcd/registry.hpp"

#include <stdexcept>

#include "svckit/sd/etcd/instancer.hpp"
#include "svckit/sd/go_micro.hpp"
#include "svckit/sd/etcd/registrar.hpp"

namespace svckit::sd::etcd {

namespace {

class EtcdRegistry final : public Registry {
 public:
  explicit EtcdRegistry(const RegistryUrl& u)
      : go_micro_(go_micro_format(u)),
        root_(root_of(u)),
        client_(Client::create({.endpoints = u.hosts, .username = u.username, .password = u.password})) {}
  std::unique_ptr<sd::Registrar> registrar(std::string_view service, Instance inst, std::chrono::seconds ttl) override {
    if (!go_micro_) {
      inst.key = service_prefix(root_, service) + inst.address;
      return std::make_unique<etcd::Registrar>(client_, std::move(inst), ttl);
    }
    inst.key = service_prefix(root_, service) + go_micro_node_id(service, inst);
    auto value = format_go_micro_instance(service, inst);
    return std::make_unique<etcd::Registrar>(client_, std::move(inst), ttl, std::move(value));
  }
  std::shared_ptr<sd::Instancer> instancer(std::string_view service) override {
    return Instancer::create(client_, service_prefix(root_, service), go_micro_ ? &parse_go_micro_instance : &parse_instance);
  }

 private:
  bool go_micro_;
  std::string root_;
  std::shared_ptr<Client> client_;
};

}  // namespace

bool go_micro_format(const RegistryUrl& url) {
  if (url.query.empty()) return false;
  if (url.query == "format=go-micro") return true;
  throw std::invalid_argument("etcd:// takes one query, format=go-micro (not \"?" + url.query.substr(0, 64) + "\")");
}

std::string root_of(const RegistryUrl& url) {
  std::string root = url.path.empty() ? (go_micro_format(url) ? "/micro/registry/" : "/services/") : url.path;
  if (root.back() != '/') root += '/';
  return root;
}

std::string service_prefix(std::string_view root, std::string_view service) {
  return std::string(root) + std::string(service) + "/";
}

std::shared_ptr<Registry> open_registry(const RegistryUrl& url) {
  (void)go_micro_format(url);  // throws for a query we do not know
  return std::make_shared<EtcdRegistry>(url);
}

}  // namespace svckit::sd::etcd
