// memory: — the outbox in memory; nothing survives the process (tests, benchmarks). Every operation on the
// request path is O(log n) or better: no container grows by moving all it holds at once under the lock, and
// the sender's and the pruner's walks see only the messages in their state, not the whole outbox (a walk of
// 400,000 pending messages every minute was a stall of every SendEmail; see sharded_map.hpp).
#include <map>
#include <mutex>

#include "outbox.hpp"
#include "sharded_map.hpp"

namespace bugtracker::notificator {
namespace {

class MemoryOutbox final : public Outbox {
 public:
  std::string add(const OutboxMessage& m) override {
    std::lock_guard lock(mu_);
    if (!m.idempotency_key.empty()) {
      auto [id, fresh] = by_key_.try_emplace(m.idempotency_key, m.id);
      if (!fresh) return *id;
    }
    const std::int64_t seq = ++last_seq_;
    by_id_.try_emplace(m.id, Entry{m, seq});
    in_state(m.state)[seq] = m.id;
    order_[seq] = m.id;
    return m.id;
  }
  std::vector<OutboxMessage> claim_due(std::int64_t now_ms, int limit, std::int64_t lease_ms) override {
    std::lock_guard lock(mu_);
    std::vector<OutboxMessage> out;
    for (const auto& [seq, id] : pending_) {
      if (static_cast<int>(out.size()) >= limit) break;
      auto& m = by_id_.find(id)->message;
      if (m.next_attempt_ms > now_ms) continue;
      out.push_back(m);
      m.next_attempt_ms = now_ms + lease_ms;
    }
    return out;
  }
  void mark_sent(const std::string& id) override {
    update(id, [](auto& m) {
      m.state = "sent";
      ++m.attempts;
    });
  }
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
    const int n = static_cast<int>(dead_.size());
    for (const auto& [seq, id] : dead_) {
      auto& m = by_id_.find(id)->message;
      m.state = "pending";
      m.attempts = 0;
      m.next_attempt_ms = now_ms;
      pending_[seq] = id;
    }
    dead_.clear();
    return n;
  }
  std::optional<OutboxMessage> find(const std::string& id) override {
    std::lock_guard lock(mu_);
    auto* e = by_id_.find(id);
    if (!e) return std::nullopt;
    return e->message;
  }
  std::vector<OutboxMessage> list(int limit) override {
    std::lock_guard lock(mu_);
    std::vector<OutboxMessage> out;
    for (auto it = order_.rbegin(); it != order_.rend() && static_cast<int>(out.size()) < limit; ++it)
      out.push_back(by_id_.find(it->second)->message);
    return out;
  }
  int prune_sent(std::int64_t created_before_ms, int limit) override {
    std::lock_guard lock(mu_);
    int n = 0;
    // Oldest first; creation times follow the sequence, so the first one too young ends the walk.
    for (auto it = sent_.begin(); it != sent_.end() && n < limit;) {
      const auto& m = by_id_.find(it->second)->message;
      if (m.created_ms >= created_before_ms) break;
      if (!m.idempotency_key.empty()) by_key_.erase(m.idempotency_key);
      order_.erase(it->first);
      const std::string id = it->second;
      it = sent_.erase(it);
      by_id_.erase(id);
      ++n;
    }
    return n;
  }

 private:
  struct Entry {
    OutboxMessage message;
    std::int64_t seq;  // order of arrival
  };
  using Index = std::map<std::int64_t, std::string>;  // seq → id

  Index& in_state(const std::string& state) { return state == "sent" ? sent_ : state == "dead" ? dead_ : pending_; }

  // Applies f to the message and moves it to the index of its new state.
  template <class F>
  void update(const std::string& id, F f) {
    std::lock_guard lock(mu_);
    Entry* e = by_id_.find(id);
    if (e == nullptr) return;
    in_state(e->message.state).erase(e->seq);
    f(e->message);
    in_state(e->message.state)[e->seq] = id;
  }

  std::mutex mu_;
  std::int64_t last_seq_ = 0;
  ShardedMap<std::string, Entry> by_id_;
  ShardedMap<std::string, std::string> by_key_;  // idempotency key → message id
  Index order_;                                  // every message
  Index pending_, sent_, dead_;                  // by state
};

}  // namespace
std::shared_ptr<Outbox> make_memory_outbox() { return std::make_shared<MemoryOutbox>(); }
}  // namespace bugtracker::notificator
