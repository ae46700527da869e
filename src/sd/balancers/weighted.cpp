#include <algorithm>
#include <vector>

#include "pick.hpp"

namespace svckit::sd::balancers {
namespace {

// Random in proportion to Instance::weight: a binary search over running weight sums built per set.
class WeightedBalancer final : public Balancer {
  struct Sums {
    std::vector<std::uint64_t> upto;  // upto[i] = weight of targets 0..i
  };

 public:
  std::string_view name() const override { return "weighted"; }
  std::shared_ptr<const void> prepare(const std::vector<std::shared_ptr<Target>>& targets) const override {
    auto sums = std::make_shared<Sums>();
    sums->upto.reserve(targets.size());
    std::uint64_t total = 0;
    for (const auto& t : targets) sums->upto.push_back(total += static_cast<std::uint64_t>(std::max(1, t->instance().weight)));
    return sums;
  }
  Target* pick(const TargetSet& set, const PickOptions& o) override {
    const auto* sums = static_cast<const Sums*>(set.prepared.get());
    if (set.targets.empty() || !sums || sums->upto.size() != set.targets.size()) return scan_from(set, 0, o);
    auto r = fast_random() % sums->upto.back();
    auto i = static_cast<std::size_t>(std::upper_bound(sums->upto.begin(), sums->upto.end(), r) - sums->upto.begin());
    return scan_from(set, i, o);
  }
};

}  // namespace
std::unique_ptr<Balancer> make_weighted() { return std::make_unique<WeightedBalancer>(); }
}  // namespace svckit::sd::balancers
