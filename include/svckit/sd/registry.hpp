// svckit/sd/registry.hpp — one URL names where services register and are discovered.
//
//   auto registry = svckit::sd::Registry::open("etcd://10.0.0.1:2379,10.0.0.2:2379");
//   auto instancer = registry->instancer("notificator");
//   auto registrar = registry->registrar("users", instance, std::chrono::seconds(10));
//
// URLs (one syntax for flags, the CLI and config): scheme://[user:password@]host:port[,host:port…][/path][?query],
// scheme:///absolute/path for a scheme that reads a local file, or scheme://name for one that takes a name.
// Built-in schemes:
//   etcd://[user:password@]host:port[,host:port…][/root]   keys <root>/<service>/<host:port>; root defaults
//                                                          to /services (go-kit's layout); see sd/etcd/registry.hpp
//   static://host:port[,host:port…][?tls=1]                a fixed list of instances (any service name; tls=1:
//                                                          they serve TLS)
//   file:///path/instances.json (or .yaml)                 instances listed in a file, followed as it changes;
//                                                          see sd/file_registry.hpp
//   dns+srv://example.internal[?resolver=ip:port]          DNS SRV records _<service>._tcp.example.internal;
//                                                          see sd/dns/registry.hpp
// More schemes plug in by name (svckit/plugins.hpp): register_registry("zk", open_zk) from your own file,
// then Registry::open("zk://…") opens it. How a backend lays out its keys is its own business: this
// interface speaks only of services and instances.
// Thread-safety: a Registry may be shared; its members may be called from any thread.
#pragma once

#include <chrono>
#include <functional>
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
  std::string scheme;              // "etcd", "static", or a plug-in's
  std::vector<std::string> hosts;  // host:port each (none for a path scheme, file://)
  std::string path;                // as written after the hosts ("/services"), "" when none
  std::string query;               // after '?', undecoded, "" when none
  std::string username, password;
};

/// Parses a registry URL of a registered scheme; the error says what is wrong and what was expected (with
/// any password redacted). At most 4096 bytes and 64 hosts.
Result<RegistryUrl> parse_registry_url(std::string_view url);

/// The URL with the password of its credentials, if any, replaced by "***": what errors and logs show.
std::string redact_url(std::string_view url);

class Registry {
 public:
  virtual ~Registry() = default;
  /// Opens the registry a URL names, through the factory registered for its scheme; throws
  /// std::invalid_argument for a malformed URL, an unknown scheme, or a URL the scheme cannot use.
  /// The same URL opened again while the first is held gives the same registry: a process registering
  /// and discovering through one URL holds one connection to it.
  static std::shared_ptr<Registry> open(std::string_view url);

  /// A registrar for one instance of `service`; the backend fills in instance.key.
  virtual std::unique_ptr<Registrar> registrar(std::string_view service, Instance instance,
                                               std::chrono::seconds ttl) = 0;
  /// The instances of `service`, watched.
  virtual std::shared_ptr<Instancer> instancer(std::string_view service) = 0;
  /// The names of the services the registry holds, sorted, read now (for tools: `svckit ls`). Waits at most
  /// `timeout`. The default answers Unimplemented (static:// holds no names).
  virtual Result<std::vector<std::string>> services(std::chrono::milliseconds timeout);
};

/// Opens a registry from its parsed URL; throws std::invalid_argument for a URL it cannot use.
using RegistryFactory = std::function<std::shared_ptr<Registry>(const RegistryUrl&)>;

/// What a scheme's URLs name: servers (scheme://host:port,…/path, at least one host), a local path
/// (scheme:///absolute/path, no host; the path is RegistryUrl::path), or a name (scheme://name[?query], e.g.
/// a DNS domain; the name is RegistryUrl::path, without a leading '/').
enum class RegistryUrlForm { hosts, path, name };

/// Makes `scheme` (e.g. "zk") known to parse_registry_url and Registry::open. Returns true, so it can
/// initialise a static; throws std::invalid_argument when the scheme is taken or malformed (plugins.hpp).
bool register_registry(std::string scheme, RegistryFactory factory, RegistryUrlForm form = RegistryUrlForm::hosts);
/// The registered schemes, sorted.
std::vector<std::string> registry_schemes();

}  // namespace svckit::sd
