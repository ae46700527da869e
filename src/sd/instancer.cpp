#include "svckit/sd/instancer.hpp"

#include <algorithm>
#include <atomic>

#include <boost/asio/post.hpp>

namespace svckit::sd {

namespace asio = boost::asio;

namespace {
// A subscriber further behind than this many changes (or the set's size, if larger) gets a reset.
constexpr std::size_t kMinLogLength = 1024;
}  // namespace

struct Subscription::State {
  std::atomic<bool> active{true};
  std::weak_ptr<Instancer> owner;
};

Subscription& Subscription::operator=(Subscription&& o) noexcept {
  if (this != &o) {
    cancel();
    state_ = std::move(o.state_);
  }
  return *this;
}

Subscription::~Subscription() { cancel(); }

void Subscription::cancel() {
  if (!state_) return;
  state_->active.store(false);
  // The callback (and what it captured: timers, strands of the subscriber's io_context) is released here,
  // on the subscriber's side, not whenever the instancer next publishes or dies, perhaps on the backend's
  // thread after that io_context is gone.
  if (auto owner = state_->owner.lock()) owner->drop(state_.get());
  state_.reset();
}

struct Instancer::Sub {
  asio::any_io_executor ex;
  Callback cb;
  std::shared_ptr<Subscription::State> state;
  std::uint64_t cursor = 0;  // next change sequence this subscriber has not seen; 0: needs a reset
  std::uint64_t status_version = 0;
  bool pending = false;      // a delivery is queued on ex
};

Instancer::~Instancer() = default;

Subscription Instancer::subscribe(asio::any_io_executor ex, Callback cb) {
  auto sub = std::make_shared<Sub>();
  sub->ex = std::move(ex);
  sub->cb = std::move(cb);
  sub->state = std::make_shared<Subscription::State>();
  sub->state->owner = weak_from_this();
  Subscription handle(sub->state);
  std::lock_guard lock(mu_);
  subs_.push_back(sub);
  if (ready_) {  // else the backend's first set (or first error) notifies everyone
    sub->pending = true;
    asio::post(sub->ex, [self = weak_from_this(), sub] {
      if (auto me = self.lock()) me->deliver(sub);
    });
  }
  return handle;
}

std::vector<Instance> Instancer::instances() const {
  std::lock_guard lock(mu_);
  std::vector<Instance> out;
  out.reserve(current_.size());
  for (const auto& [k, v] : current_) out.push_back(v);
  return out;
}

std::size_t Instancer::size() const {
  std::lock_guard lock(mu_);
  return current_.size();
}

Status Instancer::status() const {
  std::lock_guard lock(mu_);
  return status_;
}

void Instancer::apply(std::vector<Change> changes) {
  std::lock_guard lock(mu_);
  if (changes.empty() && ready_) return;
  ready_ = true;
  for (auto& c : changes) {
    if (c.instance) {
      auto [it, inserted] = current_.try_emplace(c.key, *c.instance);
      if (!inserted) {
        if (it->second == *c.instance) continue;  // a put that changed nothing we publish
        it->second = *c.instance;
      }
    } else if (current_.erase(c.key) == 0) {
      continue;
    }
    log_.push_back(std::move(c));
    ++next_seq_;
  }
  notify_locked();
}

void Instancer::replace_all(std::vector<Instance> all) {
  std::vector<Change> changes;
  {
    std::lock_guard lock(mu_);
    std::unordered_map<std::string, Instance*> fresh;
    fresh.reserve(all.size());
    for (auto& inst : all) fresh.emplace(inst.key, &inst);
    for (const auto& [key, inst] : current_)
      if (!fresh.contains(key)) changes.push_back({key, std::nullopt});
    for (auto& inst : all) {
      auto it = current_.find(inst.key);
      if (it == current_.end() || !(it->second == inst)) changes.push_back({inst.key, std::move(inst)});
    }
  }
  apply(std::move(changes));
}

void Instancer::set_status(Status s) {
  std::lock_guard lock(mu_);
  if (ready_ && s.code() == status_.code() && s.message() == status_.message()) return;
  ready_ = true;  // an error is an answer too: subscribers learn the registry is unreachable
  status_ = std::move(s);
  ++status_version_;
  notify_locked();
}

void Instancer::drop(const Subscription::State* state) {
  std::vector<std::shared_ptr<Sub>> gone;  // destroyed after the lock is released
  std::lock_guard lock(mu_);
  std::erase_if(subs_, [&](std::shared_ptr<Sub>& s) {
    if (s->state.get() != state) return false;
    gone.push_back(std::move(s));
    return true;
  });
}

void Instancer::notify_locked() {  // cancelled subscriptions are gone already (drop)
  for (auto& sub : subs_) {
    if (sub->pending) continue;
    sub->pending = true;
    asio::post(sub->ex, [self = weak_from_this(), sub] {
      if (auto me = self.lock()) me->deliver(sub);
    });
  }
  trim_locked();
}

void Instancer::trim_locked() {
  std::uint64_t keep_from = next_seq_;
  for (const auto& s : subs_)
    if (s->cursor != 0) keep_from = std::min(keep_from, s->cursor);
  std::size_t max_len = std::max(kMinLogLength, current_.size());
  while (!log_.empty() && (log_base_ < keep_from || log_.size() > max_len)) {
    log_.pop_front();
    ++log_base_;
  }
}

void Instancer::deliver(const std::shared_ptr<Sub>& sub) {
  InstanceUpdate update;
  {
    std::lock_guard lock(mu_);
    sub->pending = false;
    if (!sub->state->active.load()) return;
    if (sub->cursor < log_base_) {  // new, or fell behind the trimmed log
      update.reset = true;
      update.upserts.reserve(current_.size());
      for (const auto& [k, v] : current_) update.upserts.push_back(v);
    } else {
      // Only each key's last change counts, so the two lists can be applied in any order.
      std::unordered_map<std::string_view, const Change*> last;
      for (auto i = sub->cursor - log_base_; i < log_.size(); ++i) last[log_[i].key] = &log_[i];
      for (const auto& [key, c] : last) {
        if (c->instance)
          update.upserts.push_back(*c->instance);
        else
          update.removed.push_back(c->key);
      }
    }
    bool status_changed = sub->status_version != status_version_;
    if (!update.reset && update.upserts.empty() && update.removed.empty() && !status_changed) return;
    sub->cursor = next_seq_;
    sub->status_version = status_version_;
    update.status = status_;
    trim_locked();
  }
  sub->cb(update);
}

}  // namespace svckit::sd
