// notificator — delivery state changes, from the SMTP sender to WatchDeliveries streams.
#pragma once

#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>

#include "outbox.hpp"

namespace bugtracker::notificator {

/// A message's delivery state as WatchDeliveries streams it: never its address or content (private).
struct DeliveryState {
  std::string id;
  std::string state;  // pending | sent | dead
  int attempts = 0;
  std::string last_error;
  bool final() const { return state == "sent" || state == "dead"; }
  bool operator==(const DeliveryState&) const = default;
};

/// Thread-safety: publish() and watch() from any thread; a Watcher is used by the one coroutine that made it.
class DeliveryFeed {
 public:
  class Watcher;
  explicit DeliveryFeed(std::size_t max_watchers = 1000);

  /// The changes to `ids` from now on, woken on `ex` (the watching coroutine's executor); nullptr when
  /// max_watchers are watching already. Unsubscribes when the last reference is dropped.
  std::shared_ptr<Watcher> watch(std::vector<std::string> ids, boost::asio::any_io_executor ex);
  /// A message's state changed (the outbox has recorded it).
  void publish(const DeliveryState& s);
  std::size_t watchers() const;

 private:
  struct Shared;
  std::shared_ptr<Shared> shared_;
  std::size_t max_watchers_;
};

class DeliveryFeed::Watcher {
 public:
  /// Waits until one of the ids changed, then returns the latest state of each that did (one per id:
  /// changes that came while the watcher was busy are coalesced, so a slow watcher holds little). A
  /// cancelled caller's wait throws (asio's operation_aborted).
  virtual boost::asio::awaitable<std::vector<DeliveryState>> next() = 0;
  virtual ~Watcher() = default;
};

/// `outbox`, publishing each message's state to `feed` after the sender marks it sent, for retry or dead.
std::shared_ptr<Outbox> publishing_to(std::shared_ptr<DeliveryFeed> feed, std::shared_ptr<Outbox> outbox);

}  // namespace bugtracker::notificator
