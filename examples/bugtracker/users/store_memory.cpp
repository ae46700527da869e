// memory: — users in memory; nothing survives the process (tests, benchmarks). No container here grows by
// moving all it holds at once under the lock (a stall of every request; see sharded_map.hpp).
#include <deque>
#include <map>
#include <mutex>

#include "sharded_map.hpp"
#include "store.hpp"

namespace bugtracker::users {

struct PendingState {
  std::string email;
  int attempts = 0;
  std::int64_t next_ms = 0;
};

class MemoryUserStore final : public UserStore {
 public:
  svckit::Result<User> create(User u) override {
    std::lock_guard lock(mu_);
    if (!by_email_.try_emplace(u.email, last_id_ + 1).second)
      return svckit::Status(svckit::StatusCode::AlreadyExists, "email already registered");
    u.id = ++last_id_;
    users_.push_back(u);
    pending_[u.id] = {u.email, 0, u.created_ms + kInlineSendGraceMs};
    return u;
  }
  std::optional<User> get(std::int64_t id) override {
    std::lock_guard lock(mu_);
    return user(id);
  }
  std::optional<User> by_email(const std::string& email) override {
    std::lock_guard lock(mu_);
    const std::int64_t* id = by_email_.find(email);
    return id == nullptr ? std::nullopt : user(*id);
  }
  std::vector<QueuedEmail> due_emails(std::int64_t now_ms, int limit) override {
    std::lock_guard lock(mu_);
    std::vector<QueuedEmail> out;
    for (const auto& [id, p] : pending_) {
      if (static_cast<int>(out.size()) >= limit) break;
      if (p.next_ms <= now_ms) out.push_back({id, p.email, welcome_text(p.email), p.attempts});
    }
    return out;
  }
  void emails_sent(const std::vector<std::int64_t>& user_ids) override {
    std::lock_guard lock(mu_);
    for (auto id : user_ids) pending_.erase(id);
  }
  void email_retry(std::int64_t user_id, int attempts, std::int64_t next_ms) override {
    std::lock_guard lock(mu_);
    if (auto it = pending_.find(user_id); it != pending_.end()) {
      it->second.attempts = attempts;
      it->second.next_ms = next_ms;
    }
  }

 private:
  std::optional<User> user(std::int64_t id) const {
    if (id < 1 || id > last_id_) return std::nullopt;
    return users_[static_cast<std::size_t>(id - 1)];
  }

  std::mutex mu_;
  std::int64_t last_id_ = 0;
  std::deque<User> users_;  // user id N at N-1 (ids count from 1, users are never deleted)
  ShardedMap<std::string, std::int64_t> by_email_;
  std::map<std::int64_t, PendingState> pending_;  // ordered: oldest user first
};

std::shared_ptr<UserStore> make_memory_user_store() { return std::make_shared<MemoryUserStore>(); }

}  // namespace bugtracker::users
