// sqlite:PATH — users in SQLite (WAL). A user and its queued welcome commit together.
#include <mutex>

#include "../common/sqlite.hpp"
#include "../common/store_url.hpp"
#include "store.hpp"

namespace bugtracker::users {

std::shared_ptr<UserStore> make_memory_user_store();

namespace {

// Schema migrations, applied in order at open. Append, never edit.
const std::vector<std::string> kMigrations = {
    R"(CREATE TABLE users (
         id INTEGER PRIMARY KEY AUTOINCREMENT,
         email TEXT NOT NULL UNIQUE,
         password_hash TEXT NOT NULL DEFAULT '',
         created_ms INTEGER NOT NULL);
       CREATE TABLE pending_welcomes (
         user_id INTEGER PRIMARY KEY REFERENCES users(id),
         email TEXT NOT NULL,
         attempts INTEGER NOT NULL DEFAULT 0,
         next_attempt_ms INTEGER NOT NULL DEFAULT 0);)",
};

User row(const Statement& s) { return {s.integer(0), s.text(1), s.text(2), s.integer(3)}; }

class SqliteUserStore final : public UserStore {
 public:
  explicit SqliteUserStore(const std::string& path) : db_(path, kMigrations) {}

  svckit::Result<User> create(User u) override {
    std::lock_guard lock(mu_);
    db_.exec("BEGIN IMMEDIATE");
    try {
      auto exists = db_.prepare("SELECT 1 FROM users WHERE email = ?");
      exists.bind(1, u.email);
      if (exists.step()) {
        db_.exec("ROLLBACK");
        return svckit::Status(svckit::StatusCode::AlreadyExists, "email already registered");
      }
      auto ins = db_.prepare("INSERT INTO users (email, password_hash, created_ms) VALUES (?,?,?) RETURNING id");
      ins.bind(1, u.email).bind(2, u.password_hash).bind(3, u.created_ms);
      ins.step();
      u.id = ins.integer(0);
      ins.run();
      db_.prepare("INSERT INTO pending_welcomes (user_id, email, next_attempt_ms) VALUES (?,?,?)")
          .bind(1, u.id).bind(2, u.email).bind(3, u.created_ms + kInlineSendGraceMs).run();
      db_.exec("COMMIT");
      return u;
    } catch (...) {
      db_.exec("ROLLBACK");
      throw;
    }
  }
  std::optional<User> get(std::int64_t id) override {
    std::lock_guard lock(mu_);
    auto s = db_.prepare("SELECT id, email, password_hash, created_ms FROM users WHERE id = ?");
    s.bind(1, id);
    return s.step() ? std::optional<User>(row(s)) : std::nullopt;
  }
  std::optional<User> by_email(const std::string& email) override {
    std::lock_guard lock(mu_);
    auto s = db_.prepare("SELECT id, email, password_hash, created_ms FROM users WHERE email = ?");
    s.bind(1, email);
    return s.step() ? std::optional<User>(row(s)) : std::nullopt;
  }
  std::vector<QueuedEmail> due_emails(std::int64_t now_ms, int limit) override {
    std::lock_guard lock(mu_);
    auto s = db_.prepare("SELECT user_id, email, attempts FROM pending_welcomes WHERE next_attempt_ms <= ? ORDER BY user_id LIMIT ?");
    s.bind(1, now_ms).bind(2, std::int64_t{limit});
    std::vector<QueuedEmail> out;
    while (s.step()) out.push_back({s.integer(0), s.text(1), welcome_text(s.text(1)), static_cast<int>(s.integer(2))});
    return out;
  }
  void emails_sent(const std::vector<std::int64_t>& user_ids) override {
    std::lock_guard lock(mu_);
    in_transaction(db_, [&] {
      for (auto id : user_ids) db_.prepare("DELETE FROM pending_welcomes WHERE user_id = ?").bind(1, id).run();
    });
  }
  void email_retry(std::int64_t user_id, int attempts, std::int64_t next_ms) override {
    std::lock_guard lock(mu_);
    db_.prepare("UPDATE pending_welcomes SET attempts = ?, next_attempt_ms = ? WHERE user_id = ?")
        .bind(1, std::int64_t{attempts}).bind(2, next_ms).bind(3, user_id).run();
  }

 private:
  std::mutex mu_;
  Sqlite db_;
};

}  // namespace

std::shared_ptr<UserStore> UserStore::open(const std::string& store_url) {
  auto url = parse_store_url(store_url);
  if (url.kind == StoreUrl::Kind::Memory) return make_memory_user_store();
  return std::make_shared<SqliteUserStore>(url.path);
}

}  // namespace bugtracker::users
