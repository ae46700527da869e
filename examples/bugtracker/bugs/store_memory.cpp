// memory: — bugs in a map; nothing survives the process (tests, benchmarks).
#include <map>
#include <mutex>

#include "store.hpp"

namespace bugtracker::bugs {

class MemoryBugStore final : public BugStore {
 public:
  Bug create(Bug b) override {
    std::lock_guard lock(mu_);
    b.id = ++last_bug_;
    bugs_[b.id] = b;
    return b;
  }
  std::optional<Bug> get(std::int64_t id) override {
    std::lock_guard lock(mu_);
    auto it = bugs_.find(id);
    return it == bugs_.end() ? std::nullopt : std::optional<Bug>(it->second);
  }
  BugPage list(const BugQuery& q) override {
    std::lock_guard lock(mu_);
    BugPage page;
    for (auto it = bugs_.upper_bound(q.after_id); it != bugs_.end(); ++it) {
      const Bug& b = it->second;
      if ((!q.status.empty() && b.status != q.status) || (!q.assignee.empty() && b.assignee != q.assignee)) continue;
      if (static_cast<int>(page.bugs.size()) == q.limit) {
        page.next_after = page.bugs.back().id;
        break;
      }
      page.bugs.push_back(b);
    }
    return page;
  }
  svckit::Result<BugChange> update(std::int64_t id,
                                   const std::function<svckit::Result<BugChange>(const Bug&)>& decide) override {
    std::lock_guard lock(mu_);
    auto it = bugs_.find(id);
    if (it == bugs_.end()) return svckit::Status(svckit::StatusCode::NotFound, "no bug " + std::to_string(id));
    auto change = decide(it->second);
    if (!change.ok()) return change;
    it->second = change->bug;
    if (change->notify) {
      change->notify->id = ++last_email_;
      queue_[change->notify->id] = {*change->notify, now_ms() + kInlineSendGraceMs};
    }
    return change;
  }

  std::vector<QueuedEmail> due_emails(std::int64_t now, int limit) override {
    std::lock_guard lock(mu_);
    std::vector<QueuedEmail> out;
    for (const auto& [id, q] : queue_) {
      if (static_cast<int>(out.size()) >= limit) break;
      if (q.next_ms <= now) out.push_back(q.email);
    }
    return out;
  }
  void emails_sent(const std::vector<std::int64_t>& ids) override {
    std::lock_guard lock(mu_);
    for (auto id : ids) queue_.erase(id);
  }
  void email_retry(std::int64_t id, int attempts, std::int64_t next_ms) override {
    std::lock_guard lock(mu_);
    if (auto it = queue_.find(id); it != queue_.end()) {
      it->second.email.attempts = attempts;
      it->second.next_ms = next_ms;
    }
  }

 private:
  struct Queued {
    QueuedEmail email;
    std::int64_t next_ms = 0;
  };
  std::mutex mu_;
  std::int64_t last_bug_ = 0, last_email_ = 0;
  std::map<std::int64_t, Bug> bugs_;       // ordered: pages walk ids upwards
  std::map<std::int64_t, Queued> queue_;  // ordered: oldest first
};

std::shared_ptr<BugStore> make_memory_bug_store() { return std::make_shared<MemoryBugStore>(); }

}  // namespace bugtracker::bugs
