// The notificator's outbox: every message is stored here before SendEmail answers, then delivered.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace bugtracker::notificator {

struct OutboxMessage {
  std::string id;  // UUID, returned by SendEmail
  std::string email;
  std::string content;
  std::string state = "pending";  // pending | sent | failed
  int attempts = 0;
  std::int64_t created_ms = 0;       // unix epoch milliseconds
  std::int64_t next_attempt_ms = 0;  // when the sender may try (again)
  std::string last_error;
};

/// Thread-safety: every member may be called from any thread (implementations lock).
class Outbox {
 public:
  virtual ~Outbox() = default;
  /// Durable when it returns (for sqlite: committed to the WAL).
  virtual void add(const OutboxMessage& m) = 0;
  /// Pending messages whose next attempt is due, oldest first.
  virtual std::vector<OutboxMessage> due(std::int64_t now_ms, int limit) = 0;
  virtual void mark_sent(const std::string& id) = 0;
  virtual void mark_retry(const std::string& id, int attempts, std::int64_t next_attempt_ms, const std::string& error) = 0;
  virtual void mark_failed(const std::string& id, int attempts, const std::string& error) = 0;
  /// The newest messages first.
  virtual std::vector<OutboxMessage> list(int limit) = 0;

  /// "sqlite:PATH" or "memory:"; throws std::invalid_argument or SqliteError with a clear message.
  static std::shared_ptr<Outbox> open(const std::string& store_url);
};

std::shared_ptr<Outbox> make_memory_outbox();
std::shared_ptr<Outbox> make_sqlite_outbox(const std::string& path);

}  // namespace bugtracker::notificator
