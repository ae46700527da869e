#include "delivery_feed.hpp"

#include <algorithm>
#include <map>
#include <unordered_set>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>

namespace bugtracker::notificator {

namespace asio = boost::asio;

namespace {

class FeedWatcher;

}  // namespace

struct DeliveryFeed::Shared {
  std::mutex mu;
  std::vector<std::weak_ptr<FeedWatcher>> watchers;  // guarded by mu; a dead one is dropped when met
};

namespace {

// Its wake timer never expires: publish() cancels the wait, by a post to the watcher's executor (a timer is
// touched by one thread only).
class FeedWatcher final : public DeliveryFeed::Watcher, public std::enable_shared_from_this<FeedWatcher> {
 public:
  FeedWatcher(std::vector<std::string> ids, asio::any_io_executor ex)
      : ids_(ids.begin(), ids.end()), ex_(ex), wake_(ex, asio::steady_timer::time_point::max()) {}

  asio::awaitable<std::vector<DeliveryState>> next() override {
    for (;;) {
      {
        std::lock_guard lock(mu_);
        if (!changed_.empty()) {
          std::vector<DeliveryState> out;
          for (auto& [id, s] : changed_) out.push_back(std::move(s));
          changed_.clear();
          co_return out;
        }
      }
      // A publish between the check and the wait posts its cancel behind this coroutine: it wakes the wait.
      co_await wake_.async_wait(asio::as_tuple(asio::use_awaitable));
    }
  }

  /// From the publishing thread.
  void offer(const DeliveryState& s) {
    if (!ids_.contains(s.id)) return;
    {
      std::lock_guard lock(mu_);
      changed_[s.id] = s;
    }
    asio::post(ex_, [weak = weak_from_this()] {
      if (auto self = weak.lock()) self->wake_.cancel();
    });
  }

 private:
  const std::unordered_set<std::string> ids_;
  asio::any_io_executor ex_;
  asio::steady_timer wake_;
  std::mutex mu_;
  std::map<std::string, DeliveryState> changed_;  // guarded by mu_: the latest unseen state per id
};

// The outbox the sender writes through: each mark is published once recorded, as the outbox now holds it.
class PublishingOutbox final : public Outbox {
 public:
  PublishingOutbox(std::shared_ptr<DeliveryFeed> feed, std::shared_ptr<Outbox> inner) : feed_(std::move(feed)), inner_(std::move(inner)) {}

  std::string add(const OutboxMessage& m) override { return inner_->add(m); }
  std::vector<OutboxMessage> claim_due(std::int64_t now_ms, int limit, std::int64_t lease_ms) override {
    return inner_->claim_due(now_ms, limit, lease_ms);
  }
  void mark_sent(const std::string& id) override {
    inner_->mark_sent(id);
    published(id);
  }
  void mark_retry(const std::string& id, int attempts, std::int64_t next_attempt_ms, const std::string& error) override {
    inner_->mark_retry(id, attempts, next_attempt_ms, error);
    published(id);
  }
  void mark_dead(const std::string& id, int attempts, const std::string& error) override {
    inner_->mark_dead(id, attempts, error);
    published(id);
  }
  int redrive_dead(std::int64_t now_ms) override { return inner_->redrive_dead(now_ms); }
  std::vector<OutboxMessage> list(int limit) override { return inner_->list(limit); }
  std::optional<OutboxMessage> find(const std::string& id) override { return inner_->find(id); }
  int prune_sent(std::int64_t created_before_ms, int limit) override { return inner_->prune_sent(created_before_ms, limit); }

 private:
  void published(const std::string& id) {
    if (auto m = inner_->find(id)) feed_->publish({m->id, m->state, m->attempts, m->last_error});
  }

  std::shared_ptr<DeliveryFeed> feed_;
  std::shared_ptr<Outbox> inner_;
};

}  // namespace

DeliveryFeed::DeliveryFeed(std::size_t max_watchers) : shared_(std::make_shared<Shared>()), max_watchers_(max_watchers) {}

std::shared_ptr<DeliveryFeed::Watcher> DeliveryFeed::watch(std::vector<std::string> ids, asio::any_io_executor ex) {
  std::lock_guard lock(shared_->mu);
  std::erase_if(shared_->watchers, [](const auto& w) { return w.expired(); });
  if (shared_->watchers.size() >= max_watchers_) return nullptr;
  auto w = std::make_shared<FeedWatcher>(std::move(ids), std::move(ex));
  shared_->watchers.push_back(w);
  return w;
}

void DeliveryFeed::publish(const DeliveryState& s) {
  std::vector<std::shared_ptr<FeedWatcher>> live;
  {
    std::lock_guard lock(shared_->mu);
    for (const auto& w : shared_->watchers)
      if (auto p = w.lock()) live.push_back(std::move(p));
  }
  for (const auto& w : live) w->offer(s);  // (a watcher's last reference may go here: its destructor needs no lock of ours)
}

std::size_t DeliveryFeed::watchers() const {
  std::lock_guard lock(shared_->mu);
  return static_cast<std::size_t>(std::count_if(shared_->watchers.begin(), shared_->watchers.end(), [](const auto& w) { return !w.expired(); }));
}

std::shared_ptr<Outbox> publishing_to(std::shared_ptr<DeliveryFeed> feed, std::shared_ptr<Outbox> outbox) {
  return std::make_shared<PublishingOutbox>(std::move(feed), std::move(outbox));
}

}  // namespace bugtracker::notificator
