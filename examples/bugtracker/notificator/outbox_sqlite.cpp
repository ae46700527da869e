// sqlite:PATH — the outbox in SQLite (WAL). A message is committed before SendEmail answers.
#include <mutex>

#include "../common/sqlite.hpp"
#include "../common/store_url.hpp"
#include "outbox.hpp"

namespace bugtracker::notificator {
namespace {

// Schema migrations, applied in order at open (PRAGMA user_version counts them). Append, never edit.
const std::vector<std::string> kMigrations = {
    R"(CREATE TABLE outbox (
         seq INTEGER PRIMARY KEY AUTOINCREMENT,
         id TEXT NOT NULL UNIQUE,
         email TEXT NOT NULL,
         content TEXT NOT NULL,
         state TEXT NOT NULL DEFAULT 'pending',
         attempts INTEGER NOT NULL DEFAULT 0,
         created_ms INTEGER NOT NULL,
         next_attempt_ms INTEGER NOT NULL,
         last_error TEXT NOT NULL DEFAULT '');
       CREATE INDEX outbox_due ON outbox(state, next_attempt_ms);)",
    // Idempotency keys (one message per key) and dead letters (the old 'failed' state, now re-drivable).
    R"(ALTER TABLE outbox ADD COLUMN idempotency_key TEXT NOT NULL DEFAULT '';
       CREATE UNIQUE INDEX outbox_idempotency ON outbox(idempotency_key) WHERE idempotency_key != '';
       UPDATE outbox SET state = 'dead' WHERE state = 'failed';)",
};

constexpr const char* kColumns = "id, email, content, state, attempts, created_ms, next_attempt_ms, last_error";

OutboxMessage row(const Statement& s) {
  return {s.text(0), s.text(1), s.text(2), s.text(3), static_cast<int>(s.integer(4)), s.integer(5), s.integer(6), s.text(7)};
}

class SqliteOutbox final : public Outbox {
 public:
  explicit SqliteOutbox(const std::string& path) : db_(path, kMigrations) {}

  std::string add(const OutboxMessage& m) override {
    std::lock_guard lock(mu_);
    // The unique index makes the key check and the insert one atomic step, across processes too.
    db_.prepare("INSERT OR IGNORE INTO outbox (id, email, content, state, attempts, created_ms, next_attempt_ms, "
                "idempotency_key) VALUES (?,?,?,?,?,?,?,?)")
        .bind(1, m.id).bind(2, m.email).bind(3, m.content).bind(4, m.state)
        .bind(5, std::int64_t{m.attempts}).bind(6, m.created_ms).bind(7, m.next_attempt_ms).bind(8, m.idempotency_key)
        .run();
    if (db_.changes() == 1 || m.idempotency_key.empty()) return m.id;
    auto s = db_.prepare("SELECT id FROM outbox WHERE idempotency_key = ?");
    s.bind(1, m.idempotency_key);
    if (!s.step()) throw SqliteError("outbox: message with idempotency key vanished");
    return s.text(0);
  }
  std::vector<OutboxMessage> claim_due(std::int64_t now_ms, int limit, std::int64_t lease_ms) override {
    std::lock_guard lock(mu_);
    // One statement, so one write transaction: two notificators on this database never claim the same row.
    auto s = db_.prepare(std::string("UPDATE outbox SET next_attempt_ms = ? WHERE seq IN (SELECT seq FROM outbox WHERE "
                                     "state = 'pending' AND next_attempt_ms <= ? ORDER BY seq LIMIT ?) RETURNING ") +
                         kColumns);
    s.bind(1, now_ms + lease_ms).bind(2, now_ms).bind(3, std::int64_t{limit});
    std::vector<OutboxMessage> out;
    while (s.step()) out.push_back(row(s));
    return out;
  }
  int prune_sent(std::int64_t created_before_ms, int limit) override {
    std::lock_guard lock(mu_);
    db_.prepare("DELETE FROM outbox WHERE seq IN (SELECT seq FROM outbox WHERE state = 'sent' AND created_ms < ? "
                "ORDER BY seq LIMIT ?)")
        .bind(1, created_before_ms).bind(2, std::int64_t{limit})
        .run();
    return db_.changes();
  }
  int redrive_dead(std::int64_t now_ms) override {
    std::lock_guard lock(mu_);
    db_.prepare("UPDATE outbox SET state = 'pending', attempts = 0, next_attempt_ms = ? WHERE state = 'dead'")
        .bind(1, now_ms)
        .run();
    return db_.changes();
  }
  void mark_sent(const std::string& id) override {
    std::lock_guard lock(mu_);
    db_.prepare("UPDATE outbox SET state = 'sent', attempts = attempts + 1, last_error = '' WHERE id = ?").bind(1, id).run();
  }
  void mark_retry(const std::string& id, int attempts, std::int64_t next, const std::string& error) override {
    std::lock_guard lock(mu_);
    db_.prepare("UPDATE outbox SET attempts = ?, next_attempt_ms = ?, last_error = ? WHERE id = ?")
        .bind(1, std::int64_t{attempts}).bind(2, next).bind(3, error).bind(4, id).run();
  }
  void mark_dead(const std::string& id, int attempts, const std::string& error) override {
    std::lock_guard lock(mu_);
    db_.prepare("UPDATE outbox SET state = 'dead', attempts = ?, last_error = ? WHERE id = ?")
        .bind(1, std::int64_t{attempts}).bind(2, error).bind(3, id).run();
  }
  std::optional<OutboxMessage> find(const std::string& id) override {
    std::lock_guard lock(mu_);
    auto s = db_.prepare(std::string("SELECT ") + kColumns + " FROM outbox WHERE id = ?");
    s.bind(1, id);
    if (!s.step()) return std::nullopt;
    return row(s);
  }
  std::vector<OutboxMessage> list(int limit) override {
    std::lock_guard lock(mu_);
    auto s = db_.prepare(std::string("SELECT ") + kColumns + " FROM outbox ORDER BY seq DESC LIMIT ?");
    s.bind(1, std::int64_t{limit});
    std::vector<OutboxMessage> out;
    while (s.step()) out.push_back(row(s));
    return out;
  }

 private:
  std::mutex mu_;
  Sqlite db_;
};

}  // namespace

std::shared_ptr<Outbox> make_sqlite_outbox(const std::string& path) { return std::make_shared<SqliteOutbox>(path); }

std::shared_ptr<Outbox> Outbox::open(const std::string& store_url) {
  auto url = parse_store_url(store_url);
  if (url.kind == StoreUrl::Kind::Memory) return make_memory_outbox();
  return make_sqlite_outbox(url.path);
}

}  // namespace bugtracker::notificator
