#include "svckit/sd/etcd/instancer.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>

#include "client_impl.hpp"
#include "svckit/metrics/registry.hpp"
#include "watch_events.hpp"

namespace svckit::sd::etcd {

namespace asio = boost::asio;

struct Instancer::Private {};

// Reads the prefix (retrying with backoff while etcd is unreachable), publishes it, then watches from the
// next revision. Holds the instancer only weakly, so dropping the instancer ends it.
struct InstancerSync {
  static asio::awaitable<void> run(std::weak_ptr<Instancer> weak, std::shared_ptr<asio::steady_timer> timer) {
    Backoff backoff(std::chrono::milliseconds(100), std::chrono::milliseconds(2000));
    bool failing = false;
    for (;;) {
      Client* client = nullptr;
      std::string prefix;
      {
        auto self = weak.lock();
        if (!self) co_return;
        client = self->client_.get();  // alive while the instancer is; only used before the next await
        prefix = self->prefix_;
      }
      auto r = co_await client->get_prefix(prefix);
      auto self = weak.lock();
      if (!self) co_return;
      if (r.ok()) {
        if (failing) self->log_.info("registry readable again", {{"prefix", prefix}});
        self->load(*r);
        co_return;
      }
      if (!failing) self->log_.warn("cannot read the registry; retrying", {{"prefix", prefix}, {"error", r.status().message()}});
      failing = true;
      self->set_status(r.status());
      self.reset();
      timer->expires_after(backoff.next());
      boost::system::error_code ec;
      co_await timer->async_wait(asio::redirect_error(asio::use_awaitable, ec));
      if (ec == asio::error::operation_aborted) co_return;
    }
  }
};

std::shared_ptr<Instancer> Instancer::create(std::shared_ptr<Client> client, std::string prefix) {
  auto p = std::make_shared<Instancer>(Private{}, std::move(client), std::move(prefix));
  p->start();
  return p;
}

Instancer::Instancer(Private, std::shared_ptr<Client> client, std::string prefix)
    : client_(std::move(client)),
      prefix_(std::move(prefix)),
      log_(log::Logger("instancer").with({{"prefix", prefix_}})),
      retry_timer_(std::make_shared<asio::steady_timer>(client_->executor())) {}

Instancer::~Instancer() {
  if (auto id = watch_id_.load()) client_->cancel_watch(id);
  asio::post(client_->executor(), [t = std::static_pointer_cast<asio::steady_timer>(retry_timer_)] { t->cancel(); });
}

void Instancer::start() {
  std::weak_ptr<Instancer> weak = std::static_pointer_cast<Instancer>(shared_from_this());
  asio::co_spawn(client_->executor(), InstancerSync::run(weak, std::static_pointer_cast<asio::steady_timer>(retry_timer_)),
                 asio::detached);
}

void Instancer::load(const GetResult& r) {
  std::vector<Instance> all;
  all.reserve(r.kvs.size());
  for (const auto& kv : r.kvs) {
    auto inst = parse_instance(kv.key, kv.value);
    if (inst.ok())
      all.push_back(std::move(*inst));
    else
      log_.warn("skipping malformed registry value", {{"key", kv.key}, {"error", inst.status().message()}});
  }
  replace_all(std::move(all));
  revision_ = r.revision;
  set_status({});
  std::weak_ptr<Instancer> weak = std::static_pointer_cast<Instancer>(shared_from_this());
  watch_id_ = client_->watch(prefix_, true, r.revision + 1, [weak](const WatchUpdate& u) {
    if (auto self = weak.lock()) self->on_watch(u);
  });
}

namespace {
// Registry traffic is rare next to requests: the children are looked up per event.
void count_event(const std::string& prefix, const char* type) {
  static auto& events = metrics::default_registry().counter(
      "svckit_registry_watch_events_total", "Registry changes seen by watchers, by prefix and type (put, delete, malformed).",
      {"prefix", "type"});
  events.with({prefix, type}).inc();
}
void count_watch_error(const std::string& prefix) {
  static auto& errors = metrics::default_registry().counter(
      "svckit_registry_watch_errors_total", "Registry watches broken (etcd unreachable, compaction, cancel), by prefix.",
      {"prefix"});
  errors.with({prefix}).inc();
}
}  // namespace

void Instancer::on_watch(const WatchUpdate& u) {
  if (!u.status.ok()) {
    count_watch_error(prefix_);
    set_status(u.status);
    if (u.status.code() == StatusCode::Unavailable) return;  // the watch resumes by itself
    // The watch is over (history compacted, or etcd cancelled it): read the prefix again and diff.
    log_.warn("watch ended; re-reading the registry", {{"error", u.status.message()}});
    watch_id_ = 0;
    start();
    return;
  }
  std::vector<Change> changes;
  changes.reserve(u.events.size());
  for (auto& c : detail::instance_changes(u.events)) {
    count_event(prefix_, c.instance ? "put" : c.error.empty() ? "delete" : "malformed");
    // Garbage replaces whatever was there: that instance is no longer usable.
    if (!c.error.empty()) log_.warn("skipping malformed registry value", {{"key", c.key}, {"error", c.error}});
    changes.push_back({std::move(c.key), std::move(c.instance)});
  }
  apply(std::move(changes));
  if (!u.events.empty()) revision_ = u.events.back().kv.mod_revision;
  set_status({});
}

}  // namespace svckit::sd::etcd
