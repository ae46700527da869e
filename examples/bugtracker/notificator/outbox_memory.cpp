// memory: — the outbox in a map; nothing survives the process (tests, benchmarks).
#include <algorithm>
#include <mutex>
#include <unordered_map>

#include "outbox.hpp"

namespace bugtracker::notificator {
namespace {

class MemoryOutbox final : public Outbox {
 public:
  std::string add(const OutboxMessage& m) override {
    std::lock_guard lock(mu_);
    if (!m.idempotency_key.empty()) {
      auto [it, fresh] = by_key_.try_emplace(m.idempotency_key, m.id);
      if (!fresh) return it->second;
    }
    order_.push_back(m.id);
    by_id_[m.id] = m;
    return m.id;
  }
  std::vector<OutboxMessage> claim_due(std::int64_t now_ms, int limit, std::int64_t lease_ms) override {
    std::lock_guard lock(mu_);
    std::vector<OutboxMessage> out;
    for (const auto& id : order_) {
      if (static_cast<int>(out.size()) >= limit) break;
      auto& m = by_id_[id];
      if (m.state != "pending" || m.next_attempt_ms > now_ms) continue;
      out.push_back(m);
      m.next_attempt_ms = now_ms + lease_ms;
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
  void mark_dead(const std::string& id, int attempts, const std::string& error) override {
    update(id, [&](auto& m) {
      m.state = "dead";
      m.attempts = attempts;
      m.last_error = error;
    });
  }
  int redrive_dead(std::int64_t now_ms) override {
    std::lock_guard lock(mu_);
    int n = 0;
    for (auto& [id, m] : by_id_)
      if (m.state == "dead") {
        m.state = "pending";
        m.attempts = 0;
        m.next_attempt_ms = now_ms;
        ++n;
      }
    return n;
  }
  std::vector<OutboxMessage> list(int limit) override {
    std::lock_guard lock(mu_);
    std::vector<OutboxMessage> out;
    for (auto it = order_.rbegin(); it != order_.rend() && static_cast<int>(out.size()) < limit; ++it) out.push_back(by_id_[*it]);
    return out;
  }
  int prune_sent(std::int64_t created_before_ms, int limit) override {
    std::lock_guard lock(mu_);
    int n = 0;
    std::erase_if(order_, [&](const std::string& id) {
      auto it = by_id_.find(id);
      if (n >= limit || it->second.state != "sent" || it->second.created_ms >= created_before_ms) return false;
      if (!it->second.idempotency_key.empty()) by_key_.erase(it->second.idempotency_key);
      by_id_.erase(it);
      ++n;
      return true;
    });
    return n;
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
  std::unordered_map<std::string, std::string> by_key_;  // idempotency key → message id
};

}  // namespace
std::shared_ptr<Outbox> make_memory_outbox() { return std::make_shared<MemoryOutbox>(); }
}  // namespace bugtracker::notificator
