// A small RAII wrapper over SQLite for the bug tracker's stores: one connection, WAL, migrations at open,
// prepared statements with bound parameters, cached per SQL text (preparing costs more than running a
// small statement). Errors throw SqliteError (message says what failed).
// Durability: WAL with synchronous=NORMAL survives a crash of the process (SIGKILL); every acknowledged
// write is in the WAL when the statement returns. (synchronous=FULL would also survive power loss.)
// Checkpoints: automatic ones are off; a background thread with its own connection runs a PASSIVE
// checkpoint every 0.5 s, so commits never wait for the checkpoint's fsync.
// Thread-safety: none; the stores serialise use with a mutex and call it from a BlockingPool.
#pragma once

#include <sqlite3.h>

#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <thread>
#include <unordered_map>
#include <vector>

namespace bugtracker {

struct SqliteError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

class Statement {
 public:
  /// A statement of its own, finalized on destruction.
  Statement(sqlite3* db, std::string_view sql);
  /// A cached statement lent out: reset (not finalized) on destruction, `*in_use` cleared.
  Statement(sqlite3* db, sqlite3_stmt* cached, bool* in_use);
  ~Statement();
  Statement(const Statement&) = delete;
  Statement& operator=(const Statement&) = delete;

  Statement& bind(int i, std::string_view v);
  Statement& bind(int i, std::int64_t v);
  /// Advances; true while a row is available.
  bool step();
  /// Runs a statement that returns no rows.
  void run();
  std::string text(int col) const;
  std::int64_t integer(int col) const;
  bool is_null(int col) const;

 private:
  sqlite3* db_;
  sqlite3_stmt* stmt_ = nullptr;
  bool* in_use_ = nullptr;  // set for a cached statement
};

class Sqlite {
 public:
  /// Opens (creating) the database at path and applies `migrations` not yet applied, in order
  /// (tracked with PRAGMA user_version).
  Sqlite(const std::string& path, const std::vector<std::string>& migrations);
  ~Sqlite();
  Sqlite(const Sqlite&) = delete;
  Sqlite& operator=(const Sqlite&) = delete;

  /// Runs SQL without results (several statements allowed; one statement is prepared once and cached).
  void exec(std::string_view sql);
  /// The statement for sql, prepared once and reused (a fresh one while the cached one is in use).
  Statement prepare(std::string_view sql);
  /// Rows changed by the last statement.
  int changes() const { return sqlite3_changes(db_); }

 private:
  void start_checkpointer(const std::string& path);

  struct Cached {
    sqlite3_stmt* stmt = nullptr;
    bool in_use = false;
  };
  sqlite3* db_ = nullptr;
  std::unordered_map<std::string, Cached> cache_;
  std::thread checkpointer_;  // PASSIVE checkpoints every 0.5 s on its own connection
  std::mutex checkpoint_mu_;
  std::condition_variable checkpoint_cv_;
  bool stopping_ = false;
};

/// Runs f inside BEGIN IMMEDIATE … COMMIT; rolls back and rethrows if f throws.
template <class F>
void in_transaction(Sqlite& db, F f) {
  db.exec("BEGIN IMMEDIATE");
  try {
    f();
    db.exec("COMMIT");
  } catch (...) {
    db.exec("ROLLBACK");
    throw;
  }
}

}  // namespace bugtracker
