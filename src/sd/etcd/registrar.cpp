#include "svckit/sd/etcd/registrar.hpp"

#include <atomic>
#include <future>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>

#include "client_impl.hpp"
#include "svckit/metrics/registry.hpp"

namespace svckit::sd::etcd {

namespace asio = boost::asio;

// Shared by the handle and the registration coroutine; mutable parts live on the client's thread.
struct Registrar::State {
  State(Client* c, Instance inst, std::chrono::seconds t, std::string v)
      : client(c), key(inst.key), value(v.empty() ? format_instance_value(inst) : std::move(v)), ttl(t), wake(c->executor()) {}

  Client* client;  // outlives us: the handle holding the client's shared_ptr stops us first
  std::string key, value;
  std::chrono::seconds ttl;
  log::Logger log{"registrar"};

  // client thread only
  asio::steady_timer wake;  // sleeps and waits end early when cancelled
  bool started = false;
  bool stopping = false;
  bool lease_lost = false;
  bool key_deleted = false;
  int losses_in_a_row = 0;  // leases lost with no keepalive answered between them (a flapping registration)
  std::chrono::steady_clock::time_point last_kept{};  // when etcd last said the lease lives (grant or refresh)
  // any thread
  std::atomic<std::int64_t> lease{0};
  std::atomic<bool> is_registered{false};

  // Waits until d passes or something happened (wake cancelled); false when stopping.
  asio::awaitable<bool> pause(std::chrono::steady_clock::duration d) {
    if (stopping) co_return false;
    wake.expires_after(d);
    boost::system::error_code ec;
    co_await wake.async_wait(asio::redirect_error(asio::use_awaitable, ec));
    co_return !stopping;
  }
  void poke() { wake.cancel(); }
};

namespace {

asio::awaitable<void> keep_registered(std::shared_ptr<Registrar::State> st) {
  const auto& opts = st->client->options();
  Backoff backoff(std::max(opts.backoff_initial, std::chrono::milliseconds(100)), opts.backoff_max);
  bool failing = false;
  bool ever_registered = false;
  while (!st->stopping) {
    auto attempt_began = std::chrono::steady_clock::now();
    auto lease = co_await st->client->grant(st->ttl);
    // No co_await inside a conditional expression: GCC 12 destroys the other branch's temporary twice
    // (a double free when etcd cannot be reached; Health.NotReadyWhileTheRegistryCannotBeReached).
    Result<std::int64_t> put;
    if (lease.ok()) put = co_await st->client->put(st->key, st->value, lease->id);
    else put = lease.status();
    if (!put.ok()) {
      if (lease.ok()) (void)co_await st->client->revoke(lease->id);
      if (!failing) st->log.warn("cannot register; retrying with backoff", {{"key", st->key}, {"error", put.status().message()}});
      failing = true;
      // Back off after a quick failure; one that waited a request timeout for etcd (down, frozen) already
      // paced itself, and trying again at once lets its next wait catch etcd the moment it is back.
      bool waited = std::chrono::steady_clock::now() - attempt_began >= opts.request_timeout / 2;
      if (!co_await st->pause(waited ? std::chrono::milliseconds(0) : backoff.next())) break;
      continue;
    }
    if (st->stopping) {  // deregister() ran while we were registering: undo it
      (void)co_await st->client->revoke(lease->id);
      break;
    }
    st->lease = lease->id;
    st->is_registered = true;
    st->log.info(ever_registered ? "registered again" : "registered",
                 {{"key", st->key}, {"lease", lease->id}, {"ttl_s", static_cast<std::int64_t>(st->ttl.count())}});
    ever_registered = true;
    failing = false;
    backoff.reset();
    st->lease_lost = st->key_deleted = false;
    st->last_kept = std::chrono::steady_clock::now();
    st->client->keep_alive(lease->id, st->ttl, [st](std::int64_t ttl) {
      if (ttl > 0) {
        st->last_kept = std::chrono::steady_clock::now();
        st->losses_in_a_row = 0;  // etcd kept this lease: the registration holds
      } else {
        st->lease_lost = true;
        st->poke();
      }
    });
    auto watch_id = st->client->watch(st->key, false, *put + 1, [st](const WatchUpdate& u) {
      for (const auto& e : u.events)
        st->key_deleted = e.type == WatchEvent::Type::Delete;  // the last event decides
      if (st->key_deleted) st->poke();
    });
    // Wakes when something happened, or when the lease must have lapsed: no refresh answered for a whole
    // TTL (etcd unreachable or frozen). Registering again then, rather than when etcd says so, puts the key
    // back on a new lease the moment etcd answers again: a lease that expired while etcd was frozen is only
    // revoked a moment after it thaws, and a refresh sent then is answered only after that revocation.
    while (co_await st->pause(st->last_kept + st->ttl - std::chrono::steady_clock::now())) {
      if (st->lease_lost) break;
      if (std::chrono::steady_clock::now() >= st->last_kept + st->ttl) {
        st->log.warn("no lease refresh answered for a TTL; the lease has lapsed", {{"key", st->key}});
        st->lease_lost = true;
        break;
      }
      if (!st->key_deleted) continue;
      st->key_deleted = false;
      st->log.warn("our registry key was deleted; putting it back", {{"key", st->key}});
      auto again = co_await st->client->put(st->key, st->value, lease->id);
      if (!again.ok()) {  // most likely the lease is gone too
        st->lease_lost = true;
        break;
      }
    }
    st->client->cancel_watch(watch_id);
    st->client->forget_lease(lease->id);
    st->is_registered = false;
    if (st->stopping) break;
    st->log.warn("lease lost; registering again", {{"key", st->key}, {"lease", lease->id}});
    static auto& regrants = metrics::default_registry().counter(
        "svckit_registry_lease_regrants_total", "Registrations that lost their lease (or key) and registered again, by key.",
        {"key"});
    regrants.with({st->key}).inc();
    st->lease = 0;
    // Re-grant at once: every moment without a lease is a moment callers may find no instance (issue 31).
    // Back off only when the lease lost was itself a re-grant that etcd never kept (lost again and again).
    if (++st->losses_in_a_row > 1 && !co_await st->pause(backoff.next())) break;
  }
}

// Stops the registration and revokes the lease (on the client's thread).
asio::awaitable<Status> withdraw(std::shared_ptr<Registrar::State> st) {
  st->stopping = true;
  st->poke();
  bool was = st->is_registered.exchange(false);
  std::int64_t lease = st->lease.exchange(0);
  Status s;
  if (lease != 0) {
    st->client->forget_lease(lease);
    s = co_await st->client->revoke(lease);
    if (!s.ok()) s = Status(s.code(), "deregister " + st->key + ": " + s.message());
  }
  if (was && s.ok()) st->log.info("deregistered", {{"key", st->key}});
  co_return s;
}

}  // namespace

Registrar::Registrar(std::shared_ptr<Client> client, Instance instance, std::chrono::seconds ttl, std::string value)
    : client_(std::move(client)), state_(std::make_shared<State>(client_.get(), std::move(instance), ttl, std::move(value))) {}

Registrar::~Registrar() {
  asio::co_spawn(client_->executor(), withdraw(state_), asio::detached);
}

void Registrar::register_instance() {
  asio::post(client_->executor(), [st = state_] {
    if (st->started || st->stopping) return;
    st->started = true;
    asio::co_spawn(st->client->executor(), keep_registered(st), asio::detached);
  });
}

Status Registrar::deregister(std::chrono::milliseconds timeout) {
  auto done = std::make_shared<std::promise<Status>>();
  auto fut = done->get_future();
  asio::co_spawn(client_->executor(), withdraw(state_), [done](std::exception_ptr e, Status s) {
    done->set_value(e ? Status(StatusCode::Internal, "deregister failed") : std::move(s));
  });
  if (fut.wait_for(timeout) != std::future_status::ready)
    return deadline_exceeded("deregister " + state_->key + ": etcd did not confirm in time");
  return fut.get();
}

bool Registrar::registered() const { return state_->is_registered; }
std::int64_t Registrar::lease() const { return state_->lease; }

}  // namespace svckit::sd::etcd
