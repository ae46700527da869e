// sqlite:PATH — bugs in SQLite (WAL). An assignment and its queued email commit together.
#include <mutex>

#include "../common/sqlite.hpp"
#include "../common/store_url.hpp"
#include "store.hpp"

namespace bugtracker::bugs {

std::shared_ptr<BugStore> make_memory_bug_store();

namespace {

// Schema migrations, applied in order at open. Append, never edit.
const std::vector<std::string> kMigrations = {
    R"(CREATE TABLE bugs (
         id INTEGER PRIMARY KEY AUTOINCREMENT,
         text TEXT NOT NULL,
         status TEXT NOT NULL,
         assignee TEXT NOT NULL DEFAULT '',
         reporter_id INTEGER NOT NULL,
         reporter_email TEXT NOT NULL,
         created_ms INTEGER NOT NULL,
         updated_ms INTEGER NOT NULL);
       CREATE INDEX bugs_by_status ON bugs(status, id);
       CREATE INDEX bugs_by_assignee ON bugs(assignee, id);
       CREATE TABLE email_queue (
         id INTEGER PRIMARY KEY AUTOINCREMENT,
         email TEXT NOT NULL,
         content TEXT NOT NULL,
         attempts INTEGER NOT NULL DEFAULT 0,
         next_attempt_ms INTEGER NOT NULL);)",
    // Assignees are users (by id); rows assigned before this by email alone have no assignee rights.
    "ALTER TABLE bugs ADD COLUMN assignee_id INTEGER NOT NULL DEFAULT 0;",
};

constexpr const char* kColumns =
    "id, text, status, assignee, assignee_id, reporter_id, reporter_email, created_ms, updated_ms";

Bug row(const Statement& s) {
  return {s.integer(0), s.text(1), s.text(2), s.text(3), s.integer(4), s.integer(5), s.text(6), s.integer(7), s.integer(8)};
}

class SqliteBugStore final : public BugStore {
 public:
  explicit SqliteBugStore(const std::string& path) : db_(path, kMigrations) {}

  Bug create(Bug b) override {
    std::lock_guard lock(mu_);
    auto ins = db_.prepare(
        "INSERT INTO bugs (text, status, assignee, assignee_id, reporter_id, reporter_email, created_ms, updated_ms) "
        "VALUES (?,?,?,?,?,?,?,?) RETURNING id");
    ins.bind(1, b.text).bind(2, b.status).bind(3, b.assignee).bind(4, b.assignee_id).bind(5, b.reporter_id)
        .bind(6, b.reporter_email).bind(7, b.created_ms).bind(8, b.updated_ms);
    ins.step();
    b.id = ins.integer(0);
    ins.run();
    return b;
  }
  std::optional<Bug> get(std::int64_t id) override {
    std::lock_guard lock(mu_);
    return get_locked(id);
  }
  BugPage list(const BugQuery& q) override {
    std::lock_guard lock(mu_);
    // One more row than asked for tells whether there is a next page.
    auto s = db_.prepare(std::string("SELECT ") + kColumns +
                         " FROM bugs WHERE id > ?1 AND (?2 = '' OR status = ?2) AND (?3 = '' OR assignee = ?3)"
                         " ORDER BY id LIMIT ?4");
    s.bind(1, q.after_id).bind(2, q.status).bind(3, q.assignee).bind(4, std::int64_t{q.limit} + 1);
    BugPage page;
    while (s.step()) {
      if (static_cast<int>(page.bugs.size()) == q.limit) {
        page.next_after = page.bugs.back().id;
        break;
      }
      page.bugs.push_back(row(s));
    }
    return page;
  }
  svckit::Result<BugChange> update(std::int64_t id,
                                   const std::function<svckit::Result<BugChange>(const Bug&)>& decide) override {
    std::lock_guard lock(mu_);
    db_.exec("BEGIN IMMEDIATE");
    try {
      auto current = get_locked(id);
      if (!current) {
        db_.exec("ROLLBACK");
        return svckit::Status(svckit::StatusCode::NotFound, "no bug " + std::to_string(id));
      }
      auto change = decide(*current);
      if (!change.ok()) {
        db_.exec("ROLLBACK");
        return change;
      }
      const Bug& b = change->bug;
      db_.prepare("UPDATE bugs SET status = ?, assignee = ?, assignee_id = ?, updated_ms = ? WHERE id = ?")
          .bind(1, b.status).bind(2, b.assignee).bind(3, b.assignee_id).bind(4, b.updated_ms).bind(5, id).run();
      if (change->notify) {
        auto q = db_.prepare("INSERT INTO email_queue (email, content, next_attempt_ms) VALUES (?,?,?) RETURNING id");
        q.bind(1, change->notify->email).bind(2, change->notify->content).bind(3, now_ms() + kInlineSendGraceMs);
        q.step();
        change->notify->id = q.integer(0);
        q.run();
      }
      db_.exec("COMMIT");
      return change;
    } catch (...) {
      db_.exec("ROLLBACK");
      throw;
    }
  }

  std::vector<QueuedEmail> due_emails(std::int64_t now, int limit) override {
    std::lock_guard lock(mu_);
    auto s = db_.prepare("SELECT id, email, content, attempts FROM email_queue WHERE next_attempt_ms <= ? ORDER BY id LIMIT ?");
    s.bind(1, now).bind(2, std::int64_t{limit});
    std::vector<QueuedEmail> out;
    while (s.step()) out.push_back({s.integer(0), s.text(1), s.text(2), static_cast<int>(s.integer(3))});
    return out;
  }
  void emails_sent(const std::vector<std::int64_t>& ids) override {
    std::lock_guard lock(mu_);
    in_transaction(db_, [&] {
      for (auto id : ids) db_.prepare("DELETE FROM email_queue WHERE id = ?").bind(1, id).run();
    });
  }
  void email_retry(std::int64_t id, int attempts, std::int64_t next_ms) override {
    std::lock_guard lock(mu_);
    db_.prepare("UPDATE email_queue SET attempts = ?, next_attempt_ms = ? WHERE id = ?")
        .bind(1, std::int64_t{attempts}).bind(2, next_ms).bind(3, id).run();
  }

 private:
  std::optional<Bug> get_locked(std::int64_t id) {
    auto s = db_.prepare(std::string("SELECT ") + kColumns + " FROM bugs WHERE id = ?");
    s.bind(1, id);
    return s.step() ? std::optional<Bug>(row(s)) : std::nullopt;
  }

  std::mutex mu_;
  Sqlite db_;
};

}  // namespace

std::shared_ptr<BugStore> BugStore::open(const std::string& store_url) {
  auto url = parse_store_url(store_url);
  if (url.kind == StoreUrl::Kind::Memory) return make_memory_bug_store();
  return std::make_shared<SqliteBugStore>(url.path);
}

}  // namespace bugtracker::bugs
