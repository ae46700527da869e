#include "svckit/sd/balancer.hpp"

#include "builtin_plugins.hpp"
#include "svckit/plugins.hpp"

namespace svckit::sd {

namespace {

NamedFactories<BalancerFactory>& kinds() {
  return NamedFactories<BalancerFactory>::once("balancer", detail::add_builtin_balancers);
}

}  // namespace

std::shared_ptr<Balancer> make_balancer(std::string_view name) { return kinds().find(name)(); }

std::vector<std::string> balancer_names() { return kinds().names(); }

bool register_balancer(std::string name, BalancerFactory factory) {
  kinds().add(std::move(name), std::move(factory));
  return true;
}

std::uint64_t hash_key(std::string_view key) {
  // FNV-1a, then a splitmix64 finaliser so nearby keys spread over the whole ring.
  std::uint64_t h = 1469598103934665603ULL;
  for (unsigned char c : key) h = (h ^ c) * 1099511628211ULL;
  h ^= h >> 30;
  h *= 0xbf58476d1ce4e5b9ULL;
  h ^= h >> 27;
  h *= 0x94d049bb133111ebULL;
  h ^= h >> 31;
  return h;
}

}  // namespace svckit::sd
