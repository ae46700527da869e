#include "pick.hpp"

namespace svckit::sd::balancers {
namespace {

class RandomBalancer final : public Balancer {
 public:
  std::string_view name() const override { return "random"; }
  Target* pick(const TargetSet& set, const PickOptions& o) override {
    if (set.targets.empty()) return nullptr;
    return scan_from(set, fast_random() % set.targets.size(), o);
  }
};

}  // namespace
std::unique_ptr<Balancer> make_random() { return std::make_unique<RandomBalancer>(); }
}  // namespace svckit::sd::balancers
