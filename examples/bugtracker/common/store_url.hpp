// The --store flag every bug tracker service takes: "sqlite:PATH" (default; WAL, migrations at start) or
// "memory:" (nothing survives the process; for tests and benchmarks).
#pragma once

#include <cstddef>
#include <stdexcept>
#include <string>
#include <string_view>

namespace bugtracker {

struct StoreUrl {
  enum class Kind { Sqlite, Memory };
  Kind kind = Kind::Sqlite;
  std::string path;  // for sqlite
};

/// Throws std::invalid_argument naming the accepted forms.
inline StoreUrl parse_store_url(std::string_view url) {
  if (url == "memory:") return {StoreUrl::Kind::Memory, {}};
  if (url.rfind("sqlite:", 0) == 0 && url.size() > 7) return {StoreUrl::Kind::Sqlite, std::string(url.substr(7))};
  throw std::invalid_argument("bad --store \"" + std::string(url) + "\" (want sqlite:PATH or memory:)");
}

/// Threads for the store's BlockingPool: SQLite calls block (2 threads keep the io threads free), the
/// memory store never does (0: its calls run inline, no thread hops).
inline std::size_t store_threads(std::string_view url) { return parse_store_url(url).kind == StoreUrl::Kind::Memory ? 0 : 2; }

}  // namespace bugtracker
