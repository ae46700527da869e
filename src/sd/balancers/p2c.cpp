#include "pick.hpp"

namespace svckit::sd::balancers {
namespace {

// Power of two choices: compare two random targets by EWMA latency × (in-flight + 1). Nearly as good as
// scanning for the least loaded, at constant cost, and without every client herding onto the same one.
class P2CBalancer final : public Balancer {
  /// Expected latency × queue length (lower is better).
  static double cost(const Target& t) { return (t.latency_ewma_us() + 1.0) * (t.in_flight() + 1); }

 public:
  std::string_view name() const override { return "p2c"; }
  Target* pick(const TargetSet& set, const PickOptions& o) override {
    const auto n = set.targets.size();
    if (n < 2) return scan_from(set, 0, o);
    auto r = fast_random();
    std::size_t i = r % n;
    std::size_t j = (i + 1 + (r >> 32) % (n - 1)) % n;  // distinct from i
    Target* a = set.targets[i].get();
    Target* b = set.targets[j].get();
    bool ua = usable(a, o), ub = usable(b, o);
    if (ua && ub) return cost(*a) <= cost(*b) ? a : b;
    if (ua) return a;
    if (ub) return b;
    return scan_from(set, j + 1, o);
  }
};

}  // namespace
std::unique_ptr<Balancer> make_p2c() { return std::make_unique<P2CBalancer>(); }
}  // namespace svckit::sd::balancers
