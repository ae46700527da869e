// Balancer pick cost with 100 targets (Google Benchmark). Goals: RR ≤ 50 ns, P2C ≤ 150 ns,
// consistent hash ≤ 200 ns per pick.
#include <benchmark/benchmark.h>

#include "svckit/sd/balancer.hpp"

namespace {

void pick(benchmark::State& state, const char* name) {
  auto b = svckit::sd::make_balancer(name);
  svckit::sd::TargetSet set;
  for (int i = 0; i < state.range(0); ++i) {
    svckit::sd::Instance inst;
    inst.address = "10.0." + std::to_string(i / 256) + "." + std::to_string(i % 256) + ":80";
    inst.key = "/services/bench/" + inst.address;
    inst.weight = 1 + i % 5;
    set.targets.push_back(std::make_shared<svckit::sd::Target>(inst));
  }
  set.prepared = b->prepare(set.targets);
  std::vector<std::uint64_t> hashes;  // request keys, hashed ahead (hash_key is measured on its own)
  for (int k = 0; k < 1024; ++k) hashes.push_back(svckit::sd::hash_key("user-" + std::to_string(k)));
  std::size_t k = 0;
  for (auto _ : state) {
    auto* t = b->pick(set, {.hash = hashes[k++ & 1023]});
    benchmark::DoNotOptimize(t);
  }
}

void hash_request_key(benchmark::State& state) {
  std::string key = "user-123456";
  for (auto _ : state) benchmark::DoNotOptimize(svckit::sd::hash_key(key));
}
BENCHMARK(hash_request_key);

BENCHMARK_CAPTURE(pick, round_robin, "round_robin")->Arg(100);
BENCHMARK_CAPTURE(pick, random, "random")->Arg(100);
BENCHMARK_CAPTURE(pick, p2c, "p2c")->Arg(100);
BENCHMARK_CAPTURE(pick, weighted, "weighted")->Arg(100);
BENCHMARK_CAPTURE(pick, consistent_hash, "consistent_hash")->Arg(100);

}  // namespace

BENCHMARK_MAIN();
