#include "svckit/sd/registry.hpp"

#include <stdexcept>

#include "svckit/address.hpp"
#include "svckit/log.hpp"
#include "svckit/sd/etcd/instancer.hpp"
#include "svckit/sd/etcd/registrar.hpp"
#include "svckit/sd/static_instancer.hpp"

namespace svckit::sd {

std::string redact_url(std::string_view url) {
  auto sep = url.find("://");
  const std::size_t start = sep == std::string_view::npos ? 0 : sep + 3;
  auto end = url.find('/', start);
  auto at = url.substr(0, end).rfind('@');
  if (at == std::string_view::npos || at < start) return std::string(url);
  auto colon = url.substr(start, at - start).find(':');
  const std::size_t secret = colon == std::string_view::npos ? start : start + colon + 1;
  return std::string(url.substr(0, secret)) + "***" + std::string(url.substr(at));
}

Result<RegistryUrl> parse_registry_url(std::string_view url) {
  auto bad = [&](const std::string& why) {
    return invalid_argument("bad registry URL \"" + redact_url(url) + "\": " + why +
                            " (want etcd://host:port[,host:port][/root] or static://host:port[,host:port])");
  };
  RegistryUrl out;
  auto sep = url.find("://");
  if (sep == std::string_view::npos) return bad("no scheme");
  out.scheme = std::string(url.substr(0, sep));
  if (out.scheme != "etcd" && out.scheme != "static") return bad("unknown scheme \"" + out.scheme + "\"");
  std::string_view rest = url.substr(sep + 3);
  auto slash = rest.find('/');
  std::string_view hosts = rest.substr(0, slash);
  if (slash != std::string_view::npos) {
    if (out.scheme == "static") return bad("static:// takes no path");
    out.root = std::string(rest.substr(slash));
    if (out.root.back() != '/') out.root += '/';
  }
  if (auto at = hosts.rfind('@'); at != std::string_view::npos) {
    auto cred = hosts.substr(0, at);
    auto colon = cred.find(':');
    if (colon == std::string_view::npos) return bad("credentials must be user:password");
    out.username = std::string(cred.substr(0, colon));
    out.password = std::string(cred.substr(colon + 1));
    hosts = hosts.substr(at + 1);
  }
  while (!hosts.empty()) {
    auto comma = hosts.find(',');
    auto h = hosts.substr(0, comma);
    try {
      (void)split_host_port(h);
    } catch (const std::invalid_argument& e) {
      return bad(e.what());
    }
    out.hosts.emplace_back(h);
    if (comma == std::string_view::npos) break;
    hosts = hosts.substr(comma + 1);
  }
  if (out.hosts.empty()) return bad("no host:port");
  return out;
}

namespace {

class EtcdRegistry final : public Registry {
 public:
  explicit EtcdRegistry(const RegistryUrl& u)
      : root_(u.root),
        client_(etcd::Client::create({.endpoints = u.hosts, .username = u.username, .password = u.password})) {}
  std::string prefix(std::string_view service) const override { return root_ + std::string(service) + "/"; }
  std::unique_ptr<Registrar> registrar(std::string_view service, Instance inst, std::chrono::seconds ttl) override {
    inst.key = prefix(service) + inst.address;
    return std::make_unique<etcd::Registrar>(client_, std::move(inst), ttl);
  }
  std::shared_ptr<Instancer> instancer(std::string_view service) override {
    return etcd::Instancer::create(client_, prefix(service));
  }

 private:
  std::string root_;
  std::shared_ptr<etcd::Client> client_;
};

// Addresses are fixed: registering is a no-op, every service name resolves to the same list.
class StaticRegistry final : public Registry {
 public:
  explicit StaticRegistry(const RegistryUrl& u) : hosts_(u.hosts) {}
  std::string prefix(std::string_view) const override { return ""; }
  std::unique_ptr<Registrar> registrar(std::string_view, Instance, std::chrono::seconds) override {
    struct Noop final : Registrar {
      void register_instance() override {}
      Status deregister(std::chrono::milliseconds) override { return {}; }
      bool registered() const override { return false; }
    };
    return std::make_unique<Noop>();
  }
  std::shared_ptr<Instancer> instancer(std::string_view) override { return StaticInstancer::create(hosts_); }

 private:
  std::vector<std::string> hosts_;
};

}  // namespace

std::shared_ptr<Registry> Registry::open(std::string_view url) {
  auto u = parse_registry_url(url);
  if (!u.ok()) throw std::invalid_argument(u.status().message());
  if (u->scheme == "etcd") return std::make_shared<EtcdRegistry>(*u);
  return std::make_shared<StaticRegistry>(*u);
}

}  // namespace svckit::sd
