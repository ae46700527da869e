// A hash map split into many small ones, for the memory: stores. One std::unordered_map grows by rehashing
// every entry at once, under the store's lock: measured here, 45 ms at 170,000 entries and 100 ms at 350,000
// — a stall of every request in flight (bench/run_open_loop.sh saw it as p99.9 of 50-300 ms at 5000 req/s).
// Split in 256, each rehash moves a 256th of the entries (under a millisecond at a million).
// Not thread-safe: the store's lock guards it.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <unordered_map>
#include <utility>

namespace bugtracker {

template <class Key, class Value, std::size_t Shards = 256>
class ShardedMap {
 public:
  Value* find(const Key& k) {
    auto& s = shard(k);
    auto it = s.find(k);
    return it == s.end() ? nullptr : &it->second;
  }
  bool contains(const Key& k) const { return shard(k).contains(k); }
  /// Inserts (k, v) unless k is present; returns the value stored under k and whether it was inserted.
  std::pair<Value*, bool> try_emplace(const Key& k, Value v) {
    auto [it, fresh] = shard(k).try_emplace(k, std::move(v));
    return {&it->second, fresh};
  }
  void erase(const Key& k) { shard(k).erase(k); }

 private:
  // Fibonacci hashing picks the shard from all of the hash's bits (an integer's std::hash is itself).
  std::size_t index(const Key& k) const {
    const std::uint64_t h = std::hash<Key>{}(k);
    return static_cast<std::size_t>(((h * 0x9E3779B97F4A7C15ull) >> 32) % Shards);
  }
  std::unordered_map<Key, Value>& shard(const Key& k) { return shards_[index(k)]; }
  const std::unordered_map<Key, Value>& shard(const Key& k) const { return shards_[index(k)]; }

  std::array<std::unordered_map<Key, Value>, Shards> shards_;
};

}  // namespace bugtracker
