#include "svckit/sd/balancer.hpp"

#include <stdexcept>

#include "balancers/pick.hpp"

namespace svckit::sd {

namespace {
struct Entry {
  const char* name;
  std::unique_ptr<Balancer> (*make)();
};
// One line per balancer.
constexpr Entry kBalancers[] = {
    {"round_robin", balancers::make_round_robin},
    {"random", balancers::make_random},
    {"p2c", balancers::make_p2c},
    {"weighted", balancers::make_weighted},
    {"consistent_hash", balancers::make_consistent_hash},
};
}  // namespace

std::shared_ptr<Balancer> make_balancer(std::string_view name) {
  for (const auto& e : kBalancers)
    if (name == e.name) return e.make();
  std::string known;
  for (const auto& e : kBalancers) known += (known.empty() ? "" : ", ") + std::string(e.name);
  throw std::invalid_argument("unknown balancer \"" + std::string(name) + "\" (known: " + known + ")");
}

std::vector<std::string> balancer_names() {
  std::vector<std::string> out;
  for (const auto& e : kBalancers) out.emplace_back(e.name);
  return out;
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
