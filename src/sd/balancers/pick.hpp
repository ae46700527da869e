// Private to the balancers: the shared rules for skipping targets, and a cheap per-thread random source.
#pragma once

#include <cstdint>
#include <memory>
#include <random>

#include "builtin.hpp"
#include "svckit/sd/balancer.hpp"

namespace svckit::sd::balancers {

inline bool usable(const Target* t, const PickOptions& o) { return t != o.avoid && t->usable(); }

/// The first usable target from `start` on; else the avoided one if it is up; else the one at start.
inline Target* scan_from(const TargetSet& set, std::size_t start, const PickOptions& o) {
  const auto n = set.targets.size();
  if (n == 0) return nullptr;
  start %= n;
  for (std::size_t k = 0; k < n; ++k) {
    Target* t = set.targets[(start + k) % n].get();
    if (usable(t, o)) return t;
  }
  for (const auto& t : set.targets)
    if (t->usable()) return t.get();  // only the avoided one is usable
  return set.targets[start].get();
}

/// xorshift64*: a few nanoseconds per number, one state per thread.
inline std::uint64_t fast_random() {
  thread_local std::uint64_t s = std::random_device{}() | 1;
  s ^= s >> 12;
  s ^= s << 25;
  s ^= s >> 27;
  return s * 2685821657736338717ULL;
}

}  // namespace svckit::sd::balancers
