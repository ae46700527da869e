// The notificator's outbox: every message is stored here before SendEmail answers, then delivered.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace bugtracker::notificator {

struct OutboxMessage {
  std::string id;  // UUID, returned by SendEmail
  std::string email;
  std::string content;
  std::string state = "pending";  // pending | sent | dead (given up: visible, re-drivable)
  int attempts = 0;
  std::int64_t created_ms = 0;       // unix epoch milliseconds
  std::int64_t next_attempt_ms = 0;  // when the sender may try (again)
  std::string last_error;
  std::string idempotency_key;  // the caller's; empty: none
};

/// Thread-safety: every member may be called from any thread (implementations lock).
class Outbox {
 public:
  virtual ~Outbox() = default;
  /// Stores m, durable when it returns (for sqlite: committed to the WAL), and returns its id. If a message
  /// with m's idempotency key is stored already, nothing is stored and that message's id is returned.
  virtual std::string add(const OutboxMessage& m) = 0;
  /// Claims up to `limit` pending messages whose next attempt is due, oldest first: in one step, their next
  /// attempt moves to now + lease, so that another sender on the same database (a second notificator) does
  /// not take them too. A sender that dies holding a claim leaves its messages due again when it ends.
  virtual std::vector<OutboxMessage> claim_due(std::int64_t now_ms, int limit, std::int64_t lease_ms) = 0;
  virtual void mark_sent(const std::string& id) = 0;
  virtual void mark_retry(const std::string& id, int attempts, std::int64_t next_attempt_ms, const std::string& error) = 0;
  /// Gives up on a message: state "dead", kept and listed, until redrive_dead().
  virtual void mark_dead(const std::string& id, int attempts, const std::string& error) = 0;
  /// Puts every dead message back to pending, due now with its attempts reset; returns how many.
  virtual int redrive_dead(std::int64_t now_ms) = 0;
  /// The newest messages first.
  virtual std::vector<OutboxMessage> list(int limit) = 0;
  /// The message with this id, if the outbox holds it.
  virtual std::optional<OutboxMessage> find(const std::string& id) = 0;
  /// Deletes up to `limit` sent messages created before `created_before_ms`, oldest first; returns how many.
  /// Pending and dead messages are never pruned. A pruned message's idempotency key is forgotten with it.
  virtual int prune_sent(std::int64_t created_before_ms, int limit) = 0;

  /// "sqlite:PATH" or "memory:"; throws std::invalid_argument or SqliteError with a clear message.
  static std::shared_ptr<Outbox> open(const std::string& store_url);
};

std::shared_ptr<Outbox> make_memory_outbox();
std::shared_ptr<Outbox> make_sqlite_outbox(const std::string& path);

}  // namespace bugtracker::notificator
