#include "svckit/sd/registry.hpp"

#include <map>
#include <mutex>
#include <stdexcept>

#include "builtin_plugins.hpp"
#include "svckit/address.hpp"
#include "svckit/plugins.hpp"

namespace svckit::sd {

namespace {

constexpr std::size_t kMaxUrlBytes = 4096;
constexpr std::size_t kMaxHosts = 64;

NamedFactories<RegistryFactory>& schemes() {
  return NamedFactories<RegistryFactory>::once("registry scheme", detail::add_builtin_registries);
}

// The schemes whose URLs are not scheme://host:port…: file:///etc/svckit/instances.json (a path),
// dns+srv://example.internal (a name).
struct UrlForms {
  std::mutex mu;
  // The built-in ones (builtin_plugins.cpp); plug-ins add theirs through register_registry.
  std::map<std::string, RegistryUrlForm, std::less<>> forms{{"file", RegistryUrlForm::path}, {"dns+srv", RegistryUrlForm::name}};
  RegistryUrlForm of(std::string_view scheme) {
    std::lock_guard lock(mu);
    auto it = forms.find(scheme);
    return it == forms.end() ? RegistryUrlForm::hosts : it->second;
  }
};
UrlForms& url_forms() {
  static auto* p = new UrlForms;  // kept until exit: plug-ins register from static initialisers
  return *p;
}

}  // namespace

bool register_registry(std::string scheme, RegistryFactory factory, RegistryUrlForm form) {
  std::string name = scheme;
  schemes().add(std::move(scheme), std::move(factory));
  if (form != RegistryUrlForm::hosts) {
    auto& f = url_forms();
    std::lock_guard lock(f.mu);
    f.forms[std::move(name)] = form;
  }
  return true;
}

std::vector<std::string> registry_schemes() { return schemes().names(); }

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
    // Redacted first, then cut: cutting first could leave a password whose '@' falls beyond the cut.
    std::string shown = redact_url(url);
    if (shown.size() > 256) shown = shown.substr(0, 256) + "…";
    return invalid_argument("bad registry URL \"" + shown + "\": " + why + " (want scheme://host:port[,host:port][/path]; schemes: " +
                            schemes().known() + ")");
  };
  if (url.size() > kMaxUrlBytes) return bad("longer than " + std::to_string(kMaxUrlBytes) + " bytes");
  RegistryUrl out;
  auto sep = url.find("://");
  if (sep == std::string_view::npos) return bad("no scheme");
  out.scheme = std::string(url.substr(0, sep));
  if (!schemes().contains(out.scheme))  // a backend joins when its component is linked (docs/components.md)
    return bad("unknown scheme \"" + out.scheme.substr(0, 64) + "\" (is the library that registers it linked? etcd:// is svckit::etcd, zk:// svckit::zk)");
  std::string_view rest = url.substr(sep + 3);
  if (const auto form = url_forms().of(out.scheme); form != RegistryUrlForm::hosts) {
    // scheme:///absolute/path[?query] or scheme://name[?query]
    auto q = rest.find('?');
    out.path = std::string(rest.substr(0, q));
    if (q != std::string_view::npos) out.query = std::string(rest.substr(q + 1));
    if (form == RegistryUrlForm::path && (out.path.size() < 2 || out.path.front() != '/'))
      return bad(out.scheme + ":// takes an absolute path and no host: " + out.scheme + ":///dir/file");
    if (form == RegistryUrlForm::name && (out.path.empty() || out.path.find_first_of("/@:") != std::string::npos))
      return bad(out.scheme + ":// takes a name, no port or path: " + out.scheme + "://example.internal");
    return out;
  }
  // Credentials end at the last '@' before the first '/' (as redact_url reads them); the hosts end at the
  // first '/' or '?' after them.
  std::string_view hosts = rest;
  if (auto at = rest.substr(0, rest.find('/')).rfind('@'); at != std::string_view::npos) {
    auto cred = rest.substr(0, at);
    auto colon = cred.find(':');
    if (colon == std::string_view::npos) return bad("credentials must be user:password");
    out.username = std::string(cred.substr(0, colon));
    out.password = std::string(cred.substr(colon + 1));
    hosts = rest.substr(at + 1);
  }
  auto hosts_end = hosts.find_first_of("/?");
  std::string_view after = hosts_end == std::string_view::npos ? std::string_view() : hosts.substr(hosts_end);
  hosts = hosts.substr(0, hosts_end);
  auto q = after.find('?');
  out.path = std::string(after.substr(0, q));
  if (q != std::string_view::npos) out.query = std::string(after.substr(q + 1));
  while (!hosts.empty()) {
    auto comma = hosts.find(',');
    auto h = hosts.substr(0, comma);
    try {
      (void)split_host_port(h);
    } catch (const std::invalid_argument& e) {
      return bad(e.what());
    }
    if (out.hosts.size() == kMaxHosts) return bad("more than " + std::to_string(kMaxHosts) + " hosts");
    out.hosts.emplace_back(h);
    if (comma == std::string_view::npos) break;
    hosts = hosts.substr(comma + 1);
  }
  if (out.hosts.empty()) return bad("no host:port");
  return out;
}

Result<std::vector<std::string>> Registry::services(std::chrono::milliseconds) {
  return unimplemented("this registry cannot list its services; name one");
}

std::shared_ptr<Registry> Registry::open(std::string_view url) {
  // One registry per URL in a process while anyone holds it: registration and discovery share one
  // connection (and one lease stream, one watch stream) instead of each opening their own.
  static std::mutex mu;
  static auto* opened = new std::map<std::string, std::weak_ptr<Registry>, std::less<>>;  // kept until exit
  std::lock_guard lock(mu);
  std::erase_if(*opened, [](const auto& kv) { return kv.second.expired(); });
  if (auto it = opened->find(url); it != opened->end())
    if (auto registry = it->second.lock()) return registry;
  auto u = parse_registry_url(url);
  if (!u.ok()) throw std::invalid_argument(u.status().message());
  auto registry = schemes().find(u->scheme)(*u);
  if (!registry) throw std::invalid_argument("registry scheme \"" + u->scheme + "\" opened nothing for " + redact_url(url));
  (*opened)[std::string(url)] = registry;
  return registry;
}

}  // namespace svckit::sd
