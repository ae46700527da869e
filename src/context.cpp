#include "svckit/context.hpp"

#include <random>

namespace svckit {

std::string new_request_id() {
  // A per-thread generator: no lock, and ids from different threads do not collide in practice.
  thread_local std::mt19937_64 rng{std::random_device{}()};
  static constexpr char kHex[] = "0123456789abcdef";
  std::string id(16, '0');
  auto v = rng();
  for (int i = 15; i >= 0; --i, v >>= 4) id[static_cast<std::size_t>(i)] = kHex[v & 0xf];
  return id;
}

}  // namespace svckit
