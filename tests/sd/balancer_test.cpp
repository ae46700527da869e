// Every balancer's distribution and its rules for targets that are down or to be avoided.
#include <gtest/gtest.h>

#include <map>

#include "svckit/sd/balancer.hpp"

using svckit::sd::Instance;
using svckit::sd::PickOptions;
using svckit::sd::Target;
using svckit::sd::TargetSet;

namespace {

TargetSet make_set(const svckit::sd::Balancer& b, int n, std::vector<int> weights = {}) {
  TargetSet set;
  for (int i = 0; i < n; ++i) {
    Instance inst;
    inst.address = "10.0.0." + std::to_string(i) + ":80";
    inst.key = "/services/x/" + inst.address;
    if (!weights.empty()) inst.weight = weights[static_cast<std::size_t>(i)];
    set.targets.push_back(std::make_shared<Target>(inst));
  }
  set.prepared = b.prepare(set.targets);
  return set;
}

std::map<const Target*, int> spread(svckit::sd::Balancer& b, const TargetSet& set, int picks, PickOptions o = {}) {
  std::map<const Target*, int> count;
  for (int i = 0; i < picks; ++i) ++count[b.pick(set, o)];
  return count;
}

TEST(Balancer, UnknownNameListsTheKnownOnes) {
  try {
    svckit::sd::make_balancer("fastest");
    FAIL();
  } catch (const std::invalid_argument& e) {
    EXPECT_NE(std::string(e.what()).find("p2c"), std::string::npos) << e.what();
  }
}

TEST(Balancer, EveryBalancerReturnsNullOnlyForAnEmptySet) {
  for (const auto& name : svckit::sd::balancer_names()) {
    auto b = svckit::sd::make_balancer(name);
    EXPECT_EQ(b->pick(make_set(*b, 0), {}), nullptr) << name;
    EXPECT_NE(b->pick(make_set(*b, 1), {}), nullptr) << name;
  }
}

TEST(Balancer, RoundRobinVisitsEachInTurn) {
  auto b = svckit::sd::make_balancer("round_robin");
  auto set = make_set(*b, 4);
  for (const auto& [t, n] : spread(*b, set, 400)) EXPECT_EQ(n, 100);
  const Target* prev = nullptr;
  for (int i = 0; i < 8; ++i) {
    auto* t = b->pick(set, {});
    EXPECT_NE(t, prev);
    prev = t;
  }
}

TEST(Balancer, RandomAndP2CSpreadEvenlyWhenLoadIsEqual) {
  for (const char* name : {"random", "p2c"}) {
    auto b = svckit::sd::make_balancer(name);
    auto set = make_set(*b, 5);
    auto count = spread(*b, set, 50000);
    ASSERT_EQ(count.size(), 5u) << name;
    for (const auto& [t, n] : count) EXPECT_NEAR(n, 10000, 800) << name;  // > 8 standard deviations
  }
}

TEST(Balancer, P2CPrefersTheLessLoaded) {
  auto b = svckit::sd::make_balancer("p2c");
  auto set = make_set(*b, 3);
  // Target 0 is slow and busy; the others are fast and idle.
  for (int i = 0; i < 5; ++i) set.targets[0]->call_started();
  set.targets[0]->call_finished(std::chrono::milliseconds(50));
  set.targets[1]->call_started();
  set.targets[1]->call_finished(std::chrono::milliseconds(1));
  set.targets[2]->call_started();
  set.targets[2]->call_finished(std::chrono::milliseconds(1));
  auto count = spread(*b, set, 30000);
  EXPECT_EQ(count[set.targets[0].get()], 0) << "the loaded target loses every comparison it is in";
  EXPECT_NEAR(count[set.targets[1].get()], 15000, 1000);
}

TEST(Balancer, WeightedFollowsTheWeights) {
  auto b = svckit::sd::make_balancer("weighted");
  auto set = make_set(*b, 3, {1, 2, 7});
  auto count = spread(*b, set, 100000);
  EXPECT_NEAR(count[set.targets[0].get()], 10000, 1000);
  EXPECT_NEAR(count[set.targets[1].get()], 20000, 1500);
  EXPECT_NEAR(count[set.targets[2].get()], 70000, 2000);
}

TEST(Balancer, ConsistentHashKeepsKeysInPlaceAndMovesFewWhenOneLeaves) {
  auto b = svckit::sd::make_balancer("consistent_hash");
  auto set = make_set(*b, 10);
  std::map<std::string, const Target*> first;
  std::map<const Target*, int> load;
  for (int k = 0; k < 5000; ++k) {
    auto key = "user-" + std::to_string(k);
    auto* t = b->pick(set, {.hash = svckit::sd::hash_key(key)});
    first[key] = t;
    ++load[t];
    EXPECT_EQ(b->pick(set, {.hash = svckit::sd::hash_key(key)}), t) << "same key, same target";
  }
  for (const auto& [t, n] : load) EXPECT_NEAR(n, 500, 250) << "100 points per target keep the shares near 1/n";

  // Remove target 3: only its keys move.
  auto gone = set.targets[3];
  TargetSet smaller;
  for (const auto& t : set.targets)
    if (t != gone) smaller.targets.push_back(t);
  smaller.prepared = b->prepare(smaller.targets);
  int moved = 0;
  for (const auto& [key, t] : first) {
    auto* now = b->pick(smaller, {.hash = svckit::sd::hash_key(key)});
    if (t != gone.get()) moved += now != t;
  }
  EXPECT_EQ(moved, 0);
}

TEST(Balancer, EveryBalancerSkipsDownTargetsAndTheAvoidedOne) {
  for (const auto& name : svckit::sd::balancer_names()) {
    auto b = svckit::sd::make_balancer(name);
    auto set = make_set(*b, 3);
    set.targets[0]->mark_down();
    for (int i = 0; i < 200; ++i) {
      auto* t = b->pick(set, {.hash = static_cast<std::uint64_t>(i) * 7919, .avoid = set.targets[1].get()});
      EXPECT_EQ(t, set.targets[2].get()) << name;
    }
    // Only the avoided target is up: take it rather than a down one.
    set.targets[2]->mark_down();
    EXPECT_EQ(b->pick(set, {.avoid = set.targets[1].get()}), set.targets[1].get()) << name;
    // All down: still an answer (our view may be stale).
    set.targets[1]->mark_down();
    EXPECT_NE(b->pick(set, {}), nullptr) << name;
  }
}

}  // namespace
