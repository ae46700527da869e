#include <algorithm>
#include <vector>

#include "pick.hpp"

namespace svckit::sd::balancers {
namespace {

// A hash ring with kPoints points per target, placed by hashing the instance key: a target that leaves
// moves only its own keys, a target that joins takes about 1/n of them.
class ConsistentHashBalancer final : public Balancer {
  static constexpr int kPoints = 100;
  struct Ring {
    std::vector<std::pair<std::uint64_t, std::uint32_t>> points;  // (hash, target index), sorted
  };

 public:
  std::string_view name() const override { return "consistent_hash"; }
  std::shared_ptr<const void> prepare(const std::vector<std::shared_ptr<Target>>& targets) const override {
    auto ring = std::make_shared<Ring>();
    ring->points.reserve(targets.size() * kPoints);
    for (std::uint32_t i = 0; i < targets.size(); ++i) {
      const auto& key = targets[i]->instance().key;
      for (int p = 0; p < kPoints; ++p) ring->points.emplace_back(hash_key(key + "#" + std::to_string(p)), i);
    }
    std::sort(ring->points.begin(), ring->points.end());
    return ring;
  }
  Target* pick(const TargetSet& set, const PickOptions& o) override {
    const auto* ring = static_cast<const Ring*>(set.prepared.get());
    if (set.targets.empty() || !ring || ring->points.empty()) return scan_from(set, 0, o);
    const auto& pts = ring->points;
    auto it = std::lower_bound(pts.begin(), pts.end(), std::make_pair(o.hash, std::uint32_t{0}));
    // Walk clockwise to the first usable target (a down target's keys go to its successor).
    for (std::size_t k = 0; k < pts.size(); ++k, ++it) {
      if (it == pts.end()) it = pts.begin();
      Target* t = set.targets[it->second].get();
      if (usable(t, o)) return t;
    }
    return scan_from(set, it == pts.end() ? 0 : it->second, o);
  }
};

}  // namespace
std::unique_ptr<Balancer> make_consistent_hash() { return std::make_unique<ConsistentHashBalancer>(); }
}  // namespace svckit::sd::balancers
