// svckit/sd/balancer.hpp — picks one target of a service for each call.
//
//   auto balancer = svckit::sd::make_balancer("p2c");   // round_robin | random | p2c | weighted | consistent_hash
//
// Built-in balancers:
//   round_robin      each target in turn
//   random           uniformly at random
//   p2c              power of two choices: two random targets, the one with the lower
//                    EWMA latency × (in-flight + 1) wins (least loaded, without scanning everything)
//   weighted         at random in proportion to each instance's weight (registry metadata)
//   consistent_hash  by the call's hash key on a ring (100 points per target): the same key goes to the
//                    same target while it is up; when a target leaves only its keys move
// More balancers plug in by name (svckit/plugins.hpp): register_balancer("sticky", make_sticky) from your
// own file, then make_balancer("sticky") — or a client's balancer option — builds it.
// Every balancer skips targets marked down while any other is up, and avoids PickOptions::avoid (the
// target a retry just failed on) while another healthy target exists. When all are down it still picks
// one (our view may be stale; the call then fails fast).
// Thread-safety: pick() is called concurrently from any thread; prepare() once per target-set change.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "svckit/sd/target.hpp"

namespace svckit::sd {

/// An immutable set of targets, as published by an Endpointer, plus the balancer's data for it.
struct TargetSet {
  std::vector<std::shared_ptr<Target>> targets;
  std::shared_ptr<const void> prepared;  // what Balancer::prepare built (a hash ring, weight sums)
};

struct PickOptions {
  std::uint64_t hash = 0;          // the request's key hash (consistent_hash)
  const Target* avoid = nullptr;   // e.g. the target the previous attempt failed on
};

/// How one call to a target ended, as the balancer hears of it (brpc's Feedback).
struct CallOutcome {
  std::chrono::nanoseconds latency{0};
  StatusCode code = StatusCode::Ok;
};

class Balancer {
 public:
  virtual ~Balancer() = default;
  virtual std::string_view name() const = 0;
  /// Per-set data built once per change of the target set; nullptr when the balancer needs none.
  virtual std::shared_ptr<const void> prepare(const std::vector<std::shared_ptr<Target>>&) const { return nullptr; }
  /// A target, or nullptr when the set is empty.
  virtual Target* pick(const TargetSet& set, const PickOptions& opts) = 0;
  /// Every call's outcome, after the target's own figures (in-flight, EWMA latency) are updated. Called
  /// concurrently from any thread; the default ignores it.
  virtual void feedback(Target& /*target*/, const CallOutcome& /*outcome*/) {}
};

using BalancerFactory = std::function<std::unique_ptr<Balancer>()>;

/// A new balancer of a registered kind; throws std::invalid_argument naming the known ones for an
/// unknown name.
std::shared_ptr<Balancer> make_balancer(std::string_view name);
/// Every registered balancer name, sorted.
std::vector<std::string> balancer_names();
/// Makes `name` known to make_balancer. Returns true, so it can initialise a static; throws
/// std::invalid_argument when the name is taken or malformed (plugins.hpp).
bool register_balancer(std::string name, BalancerFactory factory);

/// 64-bit hash of a request key, for PickOptions::hash.
std::uint64_t hash_key(std::string_view key);

}  // namespace svckit::sd
