#include "svckit/sd/etcd/instancer.hpp"

#include <mutex>

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

// How the client thread reaches the instancer: the watch callback and the sync coroutine hold the gate, never
// the instancer. Were they to own it, the owner's last reference could drop on the client's own thread, which
// would then have to release the client there, where its thread cannot be joined (and the process could exit
// under it). The destructor closes the gate, waiting for a callback in progress to finish. Recursive: a
// callback that ends the watch starts a new read (start()), whose first step may run inline on this thread.
struct Instancer::Gate {
  std::recursive_mutex mu;
  Instancer* self = nullptr;  // null once the instancer is being destroyed
};

// Reads the prefix (retrying with backoff while etcd is unreachable), publishes it, then watches from the
// next revision. Ends when the instancer goes.
struct InstancerSync {
  static asio::awaitable<void> run(std::shared_ptr<Instancer::Gate> gate, std::shared_ptr<asio::steady_timer> timer) {
    Backoff backoff(std::chrono::milliseconds(100), std::chrono::milliseconds(2000));
    bool failing = false;
    for (;;) {
      Client* client = nullptr;
      std::string prefix;
      {
        std::lock_guard lock(gate->mu);
        if (!gate->self) co_return;
        // The client outlives this coroutine: its destructor joins the thread that runs it.
        client = gate->self->client_.get();
        prefix = gate->self->prefix_;
      }
      auto r = co_await client->get_prefix(prefix);
      {
        std::lock_guard lock(gate->mu);
        auto* self = gate->self;
        if (!self) co_return;
        if (r.ok()) {
          if (failing) self->log_.info("registry readable again", {{"prefix", prefix}});
          self->load(*r);
          co_return;
        }
        if (!failing) self->log_.warn("cannot read the registry; retrying", {{"prefix", prefix}, {"error", r.status().message()}});
        failing = true;
        self->set_status(r.status());
      }
      timer->expires_after(backoff.next());
      boost::system::error_code ec;
      co_await timer->async_wait(asio::redirect_error(asio::use_awaitable, ec));
      if (ec == asio::error::operation_aborted) co_return;
    }
  }
};

std::shared_ptr<Instancer> Instancer::create(std::shared_ptr<Client> client, std::string prefix, ValueParser parse) {
  auto p = std::make_shared<Instancer>(Private{}, std::move(client), std::move(prefix), parse);
  p->start();
  return p;
}

Instancer::Instancer(Private, std::shared_ptr<Client> client, std::string prefix, ValueParser parse)
    : client_(std::move(client)),
      prefix_(std::move(prefix)),
      parse_(parse),
      log_(log::Logger("instancer").with({{"prefix", prefix_}})),
      retry_timer_(std::make_shared<asio::steady_timer>(client_->executor())),
      gate_(std::make_shared<Gate>()) {
  gate_->self = this;
}

Instancer::~Instancer() {
  {
    std::lock_guard lock(gate_->mu);  // waits for a watch callback or a read in progress
    gate_->self = nullptr;
  }
  if (auto id = watch_id_.load()) client_->cancel_watch(id);
  asio::post(client_->executor(), [t = std::static_pointer_cast<asio::steady_timer>(retry_timer_)] { t->cancel(); });
}

void Instancer::start() {
  asio::co_spawn(client_->executor(), InstancerSync::run(gate_, std::static_pointer_cast<asio::steady_timer>(retry_timer_)),
                 asio::detached);
}

void Instancer::load(const GetResult& r) {
  std::vector<Instance> all;
  all.reserve(r.kvs.size());
  for (const auto& kv : r.kvs) {
    auto inst = parse_(kv.key, kv.value);
    if (inst.ok())
      all.push_back(std::move(*inst));
    else
      log_.warn("skipping malformed registry value", {{"key", kv.key}, {"error", inst.status().message()}});
  }
  replace_all(std::move(all));
  revision_ = r.revision;
  set_status({});
  watch_id_ = client_->watch(prefix_, true, r.revision + 1, [gate = gate_](const WatchUpdate& u) {
    std::lock_guard lock(gate->mu);
    if (gate->self) gate->self->on_watch(u);
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
  for (auto& c : detail::instance_changes(u.events, parse_)) {
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
