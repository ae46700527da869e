// memory: — the outbox in a map; nothing survives the process (tests, benchmarks).
#include <algorithm>
#include <unordered_map>
#include <mutex>

#include "outbox.hpp"

namespace bugtracker::notificator {
namespace {

class MemoryOutbox final : public Outbox {
 public:
  void add(const OutboxMessage& m) override {
    std::lock_guard lock(mu_);
    order_.push_back(m.id);
    by_id_[m.id] = m;
  }
  std::vector<OutboxMessage> due(std::int64_t now_ms, int limit) override {
    std::lock_guard lock(mu_);
    std::vector<OutboxMessage> out;
    for (const auto& id : order_) {
      const auto& m = by_id_[id];
      if (m.state == "pending" && m.next_attempt_ms <= now_ms) out.push_back(m);
      if (static_cast<int>(out.size()) >= limit) break;
    }
    return out;
  }
  void mark_sent(const std::string& id) override { update(id, [](auto& m) { m.state = "sent"; ++m.attempts; }); }
  void mark_retry(const std::string& id, int attempts, std::int64_t next, const std::string& error) override {
    update(id, [&](auto& m) {
      m.attempts = attempts;
      m.next_attempt_ms = next;
      m.last_error = error;
    });
  }
  void mark_failed(const std::string& id, int attempts, const std::string& error) override {
    update(id, [&](auto& m) {
      m.state = "failed";
      m.attempts = attempts;
      m.last_error = error;
    });
  }
  std::vector<OutboxMessage> list(int limit) override {
    std::lock_guard lock(mu_);
    std::vector<OutboxMessage> out;
    for (auto it = order_.rbegin(); it != order_.rend() && static_cast<int>(out.size()) < limit; ++it) out.push_back(by_id_[*it]);
    return out;
  }

 private:
  template <class F>
  void update(const std::string& id, F f) {
    std::lock_guard lock(mu_);
    if (auto it = by_id_.find(id); it != by_id_.end()) f(it->second);
  }
  std::mutex mu_;
  std::vector<std::string> order_;
  std::unordered_map<std::string, OutboxMessage> by_id_;
};

}  // namespace
std::shared_ptr<Outbox> make_memory_outbox() { return std::make_shared<MemoryOutbox>(); }
}  // namespace bugtracker::notificator
