#include "svckit/context.hpp"

#include <cstdio>
#include <random>

namespace svckit {

std::string new_request_id() {
  // A per-thread generator: no lock, and ids from different threads do not collide in practice.
  thread_local std::mt19937_64 rng{std::random_device{}()};
  char buf[17];
  std::snprintf(buf, sizeof buf, "%016llx", static_cast<unsigned long long>(rng()));
  return buf;
}

}  // namespace svckit
