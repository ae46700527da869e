// svckit/sd/instancer.hpp — the live set of instances of one service, published to subscribers.
//
//   auto instancer = registry->instancer("notificator");          // e.g. an etcd watch on /services/notificator/
//   auto sub = instancer->subscribe(ex, [](const svckit::sd::InstanceUpdate& u) {
//     if (u.reset) { /* u.upserts is the whole set */ }
//     for (auto& inst : u.upserts) { /* added or changed */ }
//     for (auto& key : u.removed) { /* gone */ }
//     if (!u.status.ok()) { /* the registry is unreachable; the set above is the last known one */ }
//   });
//
// A backend (etcd, static, file …) derives from Instancer and feeds it changes; subscribers see a
// consistent stream: first a reset with the full set, then the changes in the order they happened.
// Delivery is coalesced per subscriber: while a subscriber's callback is busy or queued, new changes are
// batched for it, so a slow subscriber never blocks the backend or other subscribers, and its memory is
// bounded (one that falls far behind gets a fresh reset instead of a long backlog).
// Ownership: instancers are always held by std::shared_ptr (backends hand them out that way).
// Thread-safety: every public member may be called from any thread. A subscriber's callbacks run on its
// executor, one at a time. Destroying the Subscription stops deliveries (one already running finishes).
#pragma once

#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include <boost/asio/any_io_executor.hpp>

#include "svckit/sd/instance.hpp"
#include "svckit/status.hpp"

namespace svckit::sd {

struct InstanceUpdate {
  bool reset = false;             // true: upserts is the complete set; forget what you had
  std::vector<Instance> upserts;  // instances added or changed (keyed by Instance::key)
  std::vector<std::string> removed;  // keys of instances that left
  Status status;                  // not OK while the registry is unreachable or a watch failed
};

class Instancer;

/// Keeps a subscription alive; destroying it (or cancel()) unsubscribes: no delivery starts after that, and
/// the callback (with what it captured) is released then, on the cancelling thread — or, if a delivery was
/// already queued on the subscriber's executor, when that handler runs or is destroyed with its executor.
class Subscription {
 public:
  Subscription() = default;
  Subscription(Subscription&&) noexcept = default;
  Subscription& operator=(Subscription&&) noexcept;
  ~Subscription();
  void cancel();

 private:
  friend class Instancer;
  struct State;
  explicit Subscription(std::shared_ptr<State> s) : state_(std::move(s)) {}
  std::shared_ptr<State> state_;
};

class Instancer : public std::enable_shared_from_this<Instancer> {
 public:
  using Callback = std::function<void(const InstanceUpdate&)>;

  virtual ~Instancer();

  /// The callback first gets a reset with the current set, as soon as the backend has read it (or failed
  /// to: the reset is then empty and carries the error), then every change.
  Subscription subscribe(boost::asio::any_io_executor ex, Callback cb);

  /// A copy of the current set (O(n); for tools and tests).
  std::vector<Instance> instances() const;
  std::size_t size() const;
  /// OK, or why the set may be stale.
  Status status() const;

 protected:
  /// One change as a backend reports it: an instance put (added or changed) or a key removed.
  struct Change {
    std::string key;
    std::optional<Instance> instance;  // empty: removed
  };
  /// Applies changes in order and notifies subscribers once. The first call (even with no changes) marks
  /// the set as known.
  void apply(std::vector<Change> changes);
  /// Replaces the whole set (after a re-list): subscribers get only the difference.
  void replace_all(std::vector<Instance> all);
  /// Publishes a status change (an error keeps the current set).
  void set_status(Status s);

 private:
  friend class Subscription;
  struct Sub;
  void notify_locked();
  void drop(const Subscription::State* state);  // a cancelled subscription's entry, released at once
  void deliver(const std::shared_ptr<Sub>& sub);
  void trim_locked();

  mutable std::mutex mu_;
  std::unordered_map<std::string, Instance> current_;
  std::deque<Change> log_;     // recent changes; log_[0] has sequence number log_base_
  std::uint64_t log_base_ = 1;
  std::uint64_t next_seq_ = 1;
  Status status_;
  std::uint64_t status_version_ = 0;
  bool ready_ = false;  // the backend has published its first set or error
  std::vector<std::shared_ptr<Sub>> subs_;
};

}  // namespace svckit::sd
