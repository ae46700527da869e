// Emails a service has promised to send (a user's welcome, a bug's assignment notice).
//
// Each one is stored in the service's own database, in the same transaction as the change that caused it,
// then sent at once through notificator (discovered in the registry, balanced, retried on another
// instance). When no notificator answers, the change still succeeds and the email stays queued: a
// background loop retries it with backoff until a notificator accepts it. Nothing is lost when every
// notificator is down, and the user never sees notificator's failure. Each attempt carries the same
// idempotency key, so notificator stores the email once however often it is sent.
#pragma once

#include <algorithm>
#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include <boost/asio/awaitable.hpp>

#include "notificator.pb.h"
#include "svckit/blocking.hpp"
#include "svckit/endpoint.hpp"
#include "svckit/log.hpp"

namespace svckit {
class Runner;
namespace sd {
class Registry;
}
}  // namespace svckit

namespace bugtracker {

using SendEmail = svckit::Endpoint<pb::SendEmailRequest, pb::SendEmailReply>;

struct QueuedEmail {
  std::int64_t id = 0;  // the queue's key (the store decides what it is)
  std::string email;
  std::string content;
  int attempts = 0;
};

/// A queued email becomes due this long after it was queued: it is sent inline first, and the background
/// loop must not race that attempt.
inline constexpr std::int64_t kInlineSendGraceMs = 5000;

/// Backoff before attempt `attempts + 1`: 0.5 s doubling, capped at a minute.
inline std::int64_t retry_backoff_ms(int attempts) { return std::min<std::int64_t>(60000, 500LL << std::min(attempts, 7)); }

std::int64_t now_ms();

/// What a store offers for its queue. Calls block; every member may be called from any thread.
class EmailQueue {
 public:
  virtual ~EmailQueue() = default;
  /// Queued emails whose next attempt is due, oldest first.
  virtual std::vector<QueuedEmail> due_emails(std::int64_t now_ms, int limit) = 0;
  /// Removes sent emails from the queue, all in one transaction.
  virtual void emails_sent(const std::vector<std::int64_t>& ids) = 0;
  virtual void email_retry(std::int64_t id, int attempts, std::int64_t next_attempt_ms) = 0;
};

/// Sends queued emails through notificator and keeps the queue up to date.
class EmailSender {
 public:
  /// `origin` names the queue (the service: "users", "bugs") in each email's idempotency key.
  EmailSender(SendEmail send, svckit::BlockingPool& pool, std::shared_ptr<EmailQueue> queue, svckit::log::Logger log,
              std::string origin);

  /// The idempotency key SendEmail gets for a queued email: origin, queue id and a hash of address and text,
  /// so a retried attempt or a resend by the background loop (or by another instance sharing the queue) is
  /// the same message to notificator, while a queue id reused after a memory: store restarts, for another
  /// message, is not.
  std::string idempotency_key(const QueuedEmail& e) const;

  /// One attempt now; on success the email leaves the queue (batched: see flush_sent), otherwise its next
  /// attempt is scheduled.
  boost::asio::awaitable<bool> send(const svckit::Context& ctx, QueuedEmail e);
  /// One pass: removes the emails sent since the last pass from the queue, then sends the due ones;
  /// returns how many were sent.
  boost::asio::awaitable<int> deliver_due();
  /// Removes the emails sent so far from the queue (blocking; the background loop and shutdown call it).
  void flush_sent();
  /// Runs deliver_due() every second on the runner's first io thread from start-up until shutdown.
  static void run_in_background(std::shared_ptr<EmailSender> self, svckit::Runner& runner);

 private:
  SendEmail send_;
  svckit::BlockingPool& pool_;
  std::shared_ptr<EmailQueue> queue_;
  svckit::log::Logger log_;
  std::string origin_;
  // Sent emails leave the queue in one transaction per background pass, not one per email: a write
  // transaction per request was a third of the SQLite path's cost. The price of a crash in between is a
  // repeated email (at-least-once delivery); the inline grace period keeps the loop from re-sending them.
  std::mutex sent_mu_;
  std::vector<std::int64_t> sent_;
};

/// The notificator client every service uses: each instance registered under `service` in the registry,
/// one gRPC channel per instance. Every attempt and resend of one email goes to the instance its idempotency
/// key hashes to (consistent_hash) while that instance is registered and reachable, and an attempt that timed
/// out is not tried on another instance (it may be stored late where it went): the queue resends it later,
/// to the same instance, which stores it once. Only an instance that cannot be reached is skipped.
SendEmail notificator_client(std::shared_ptr<svckit::sd::Registry> registry, const std::string& service,
                             svckit::Runner& runner);

}  // namespace bugtracker
