#include "svckit/health.hpp"

namespace svckit {

Health::Report Health::report() const {
  Report r;
  if (draining_) r.failing.push_back("draining");
  for (const auto& [name, check] : checks_) {
    bool ok = false;
    try {
      ok = check();
    } catch (...) {  // a check that throws is a failing check, not a crashed health endpoint
    }
    if (!ok) r.failing.push_back(name);
  }
  r.ready = r.failing.empty();
  return r;
}

}  // namespace svckit
