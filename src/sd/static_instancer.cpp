#include "svckit/sd/static_instancer.hpp"

#include <stdexcept>

namespace svckit::sd {

std::shared_ptr<StaticInstancer> StaticInstancer::create(const std::vector<std::string>& addresses) {
  std::vector<Instance> all;
  for (const auto& a : addresses) {
    auto inst = parse_instance(a, a);
    if (!inst.ok()) throw std::invalid_argument(inst.status().message());
    all.push_back(std::move(*inst));
  }
  return create(std::move(all));
}

std::shared_ptr<StaticInstancer> StaticInstancer::create(std::vector<Instance> instances) {
  auto p = std::make_shared<StaticInstancer>();
  p->set(std::move(instances));
  return p;
}

}  // namespace svckit::sd
