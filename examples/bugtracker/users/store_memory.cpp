// memory: — users in maps; nothing survives the process (tests, benchmarks).
#include <map>
#include <mutex>
#include <unordered_map>

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
    if (by_email_.contains(u.email)) return svckit::Status(svckit::StatusCode::AlreadyExists, "email already registered");
    u.id = ++last_id_;
    by_email_[u.email] = u.id;
    users_[u.id] = u;
    pending_[u.id] = {u.email, 0, u.created_ms + kInlineSendGraceMs};
    return u;
  }
  std::optional<User> get(std::int64_t id) override {
    std::lock_guard lock(mu_);
    auto it = users_.find(id);
    return it == users_.end() ? std::nullopt : std::optional<User>(it->second);
  }
  std::optional<User> by_email(const std::string& email) override {
    std::lock_guard lock(mu_);
    auto it = by_email_.find(email);
    return it == by_email_.end() ? std::nullopt : std::optional<User>(users_[it->second]);
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
  std::mutex mu_;
  std::int64_t last_id_ = 0;
  std::unordered_map<std::int64_t, User> users_;
  std::unordered_map<std::string, std::int64_t> by_email_;
  std::map<std::int64_t, PendingState> pending_;  // ordered: oldest user first
};

std::shared_ptr<UserStore> make_memory_user_store() { return std::make_shared<MemoryUserStore>(); }

}  // namespace bugtracker::users
