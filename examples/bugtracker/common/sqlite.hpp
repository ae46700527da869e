// A small RAII wrapper over SQLite for the bug tracker's stores: one connection, WAL, migrations at open,
// prepared statements with bound parameters. Errors throw SqliteError (message says what failed).
// Durability: WAL with synchronous=NORMAL survives a crash of the process (SIGKILL); every acknowledged
// write is in the WAL when the statement returns. (synchronous=FULL would also survive power loss.)
// Thread-safety: none; the stores serialise use with a mutex and call it from a BlockingPool.
#pragma once

#include <sqlite3.h>

#include <cstdint>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace bugtracker {

struct SqliteError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

class Statement {
 public:
  Statement(sqlite3* db, std::string_view sql);
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
};

class Sqlite {
 public:
  /// Opens (creating) the database at path and applies `migrations` not yet applied, in order
  /// (tracked with PRAGMA user_version).
  Sqlite(const std::string& path, const std::vector<std::string>& migrations);
  ~Sqlite();
  Sqlite(const Sqlite&) = delete;
  Sqlite& operator=(const Sqlite&) = delete;

  void exec(std::string_view sql);
  Statement prepare(std::string_view sql) { return Statement(db_, sql); }
  /// Rows changed by the last statement.
  int changes() const { return sqlite3_changes(db_); }

 private:
  sqlite3* db_ = nullptr;
};

}  // namespace bugtracker
