#include "sqlite.hpp"

namespace bugtracker {

namespace {
[[noreturn]] void fail(sqlite3* db, std::string_view what) {
  throw SqliteError(std::string(what) + ": " + (db ? sqlite3_errmsg(db) : "out of memory"));
}
}  // namespace

Statement::Statement(sqlite3* db, std::string_view sql) : db_(db) {
  if (sqlite3_prepare_v2(db, sql.data(), static_cast<int>(sql.size()), &stmt_, nullptr) != SQLITE_OK)
    fail(db, "prepare \"" + std::string(sql) + "\"");
}
Statement::Statement(sqlite3* db, sqlite3_stmt* cached, bool* in_use) : db_(db), stmt_(cached), in_use_(in_use) {
  *in_use_ = true;
}
Statement::~Statement() {
  if (in_use_) {
    sqlite3_reset(stmt_);
    sqlite3_clear_bindings(stmt_);
    *in_use_ = false;
  } else {
    sqlite3_finalize(stmt_);
  }
}

Statement& Statement::bind(int i, std::string_view v) {
  if (sqlite3_bind_text(stmt_, i, v.data(), static_cast<int>(v.size()), SQLITE_TRANSIENT) != SQLITE_OK) fail(db_, "bind");
  return *this;
}
Statement& Statement::bind(int i, std::int64_t v) {
  if (sqlite3_bind_int64(stmt_, i, v) != SQLITE_OK) fail(db_, "bind");
  return *this;
}
bool Statement::step() {
  int rc = sqlite3_step(stmt_);
  if (rc == SQLITE_ROW) return true;
  if (rc == SQLITE_DONE) return false;
  fail(db_, "step");
}
void Statement::run() {
  while (step()) {
  }
}
std::string Statement::text(int col) const {
  auto* p = sqlite3_column_text(stmt_, col);
  return p ? std::string(reinterpret_cast<const char*>(p), static_cast<std::size_t>(sqlite3_column_bytes(stmt_, col))) : std::string();
}
std::int64_t Statement::integer(int col) const { return sqlite3_column_int64(stmt_, col); }
bool Statement::is_null(int col) const { return sqlite3_column_type(stmt_, col) == SQLITE_NULL; }

Sqlite::Sqlite(const std::string& path, const std::vector<std::string>& migrations) {
  if (sqlite3_open_v2(path.c_str(), &db_, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, nullptr) != SQLITE_OK) {
    std::string msg = "open " + path + ": " + (db_ ? sqlite3_errmsg(db_) : "out of memory");
    sqlite3_close(db_);
    throw SqliteError(msg);
  }
  sqlite3_busy_timeout(db_, 5000);
  exec("PRAGMA journal_mode=WAL");
  exec("PRAGMA synchronous=NORMAL");
  // Checkpoints (copying the WAL back into the database, with an fsync) run on a background thread with
  // its own connection, so no commit waits for one (inline auto-checkpoints made p99 latency spike).
  exec("PRAGMA wal_autocheckpoint=0");
  exec("PRAGMA foreign_keys=ON");
  auto version = prepare("PRAGMA user_version");
  version.step();
  auto applied = static_cast<std::size_t>(version.integer(0));
  for (std::size_t i = applied; i < migrations.size(); ++i) {
    exec("BEGIN");
    try {
      exec(migrations[i]);
      exec("PRAGMA user_version=" + std::to_string(i + 1));
      exec("COMMIT");
    } catch (...) {
      exec("ROLLBACK");
      throw;
    }
  }
  start_checkpointer(path);
}

void Sqlite::start_checkpointer(const std::string& path) {
  sqlite3* cp = nullptr;
  if (sqlite3_open_v2(path.c_str(), &cp, SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX, nullptr) != SQLITE_OK) {
    std::string msg = "open " + path + " for checkpoints: " + (cp ? sqlite3_errmsg(cp) : "out of memory");
    sqlite3_close(cp);
    throw SqliteError(msg);
  }
  sqlite3_busy_timeout(cp, 1000);
  checkpointer_ = std::thread([this, cp] {
    std::unique_lock lock(checkpoint_mu_);
    while (!checkpoint_cv_.wait_for(lock, std::chrono::milliseconds(500), [this] { return stopping_; })) {
      lock.unlock();
      sqlite3_wal_checkpoint_v2(cp, nullptr, SQLITE_CHECKPOINT_PASSIVE, nullptr, nullptr);
      lock.lock();
    }
    sqlite3_wal_checkpoint_v2(cp, nullptr, SQLITE_CHECKPOINT_PASSIVE, nullptr, nullptr);
    sqlite3_close(cp);
  });
}

Sqlite::~Sqlite() {
  if (checkpointer_.joinable()) {
    {
      std::lock_guard lock(checkpoint_mu_);
      stopping_ = true;
    }
    checkpoint_cv_.notify_all();
    checkpointer_.join();
  }
  for (auto& [sql, c] : cache_) sqlite3_finalize(c.stmt);
  sqlite3_close(db_);
}

Statement Sqlite::prepare(std::string_view sql) {
  auto it = cache_.find(std::string(sql));
  if (it == cache_.end()) {
    sqlite3_stmt* stmt = nullptr;
    if (sqlite3_prepare_v3(db_, sql.data(), static_cast<int>(sql.size()), SQLITE_PREPARE_PERSISTENT, &stmt, nullptr) != SQLITE_OK)
      fail(db_, "prepare \"" + std::string(sql) + "\"");
    it = cache_.emplace(std::string(sql), Cached{stmt, false}).first;
  }
  if (it->second.in_use) return Statement(db_, sql);
  return Statement(db_, it->second.stmt, &it->second.in_use);
}

void Sqlite::exec(std::string_view sql) {
  if (sql.find(';') == std::string_view::npos) {  // one statement: the cached path
    prepare(sql).run();
    return;
  }
  char* err = nullptr;
  if (sqlite3_exec(db_, std::string(sql).c_str(), nullptr, nullptr, &err) != SQLITE_OK) {
    std::string msg = std::string("exec \"") + std::string(sql.substr(0, 60)) + "\": " + (err ? err : "?");
    sqlite3_free(err);
    throw SqliteError(msg);
  }
}

}  // namespace bugtracker
