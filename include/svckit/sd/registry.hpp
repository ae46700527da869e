// svckit/sd/registry.hpp — one URL names where services register and are discovered.
//
//   auto registry = svckit::sd::Registry::open("etcd://10.0.0.1:2379,10.0.0.2:2379");
//   auto instancer = registry->instancer("notificator");                 // watches /services/notificator/
//   auto registrar = registry->registrar("users", instance, std::chrono::seconds(10));
//
// URLs (one syntax for flags, the CLI and config):
//   etcd://[user:password@]host:port[,host:port…][/root]   keys <root>/<service>/<host:port>; root defaults
//                                                          to /services (go-kit's layout)
//   static://host:port[,host:port…]                        a fixed list of instances (any service name)
// Thread-safety: a Registry may be shared; its members may be called from any thread.
#pragma once

#include <chrono>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "svckit/result.hpp"
#include "svckit/sd/instance.hpp"
#include "svckit/sd/instancer.hpp"
#include "svckit/sd/registrar.hpp"

namespace svckit::sd {

struct RegistryUrl {
  std::string scheme;               // "etcd", "static"
  std::vector<std::string> hosts;   // host:port each
  std::string root = "/services/";  // key prefix root, always ending in '/'
  std::string username, password;
};

/// Parses a registry URL; the error says what is wrong and what was expected (with any password redacted).
Result<RegistryUrl> parse_registry_url(std::string_view url);

/// The URL with the password of its credentials, if any, replaced by "***": what errors and logs show.
std::string redact_url(std::string_view url);

class Registry {
 public:
  virtual ~Registry() = default;
  /// Opens the registry a URL names; throws std::invalid_argument for a malformed or unknown URL.
  static std::shared_ptr<Registry> open(std::string_view url);

  /// The key prefix of a service: <root><service>/.
  virtual std::string prefix(std::string_view service) const = 0;
  /// A registrar for one instance of `service`; instance.key is filled in from the prefix and address.
  virtual std::unique_ptr<Registrar> registrar(std::string_view service, Instance instance,
                                               std::chrono::seconds ttl) = 0;
  virtual std::shared_ptr<Instancer> instancer(std::string_view service) = 0;
};

}  // namespace svckit::sd
