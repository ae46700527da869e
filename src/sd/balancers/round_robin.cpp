#include <atomic>

#include "pick.hpp"

namespace svckit::sd::balancers {
namespace {

class RoundRobinBalancer final : public Balancer {
 public:
  std::string_view name() const override { return "round_robin"; }
  Target* pick(const TargetSet& set, const PickOptions& o) override {
    return scan_from(set, next_.fetch_add(1, std::memory_order_relaxed), o);
  }

 private:
  std::atomic<std::size_t> next_{0};
};

}  // namespace
std::unique_ptr<Balancer> make_round_robin() { return std::make_unique<RoundRobinBalancer>(); }
}  // namespace svckit::sd::balancers
