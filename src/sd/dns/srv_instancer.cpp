#include "srv_instancer.hpp"

#include <algorithm>
#include <atomic>
#include <map>
#include <mutex>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>

#include "svckit/address.hpp"
#include "svckit/log.hpp"

namespace svckit::sd::dns {

namespace asio = boost::asio;

namespace {

// Looked up again when the TTL runs out, within these bounds; after an error, sooner and backing off.
constexpr std::uint32_t kMinRefreshS = 1, kMaxRefreshS = 300;
constexpr auto kErrorFirst = std::chrono::seconds(1);
constexpr auto kErrorMax = std::chrono::seconds(30);
constexpr auto kQueryTimeout = std::chrono::milliseconds(2000);
constexpr std::size_t kMaxTargets = 256;

bool is_address(const Record& r) {
  return r.type == static_cast<std::uint16_t>(RecordType::a) || r.type == static_cast<std::uint16_t>(RecordType::aaaa);
}

}  // namespace

Resolution resolve_srv(const Answer& srv, const std::vector<Answer>& more) {
  Resolution out;
  out.ttl = kMaxRefreshS;
  std::vector<const Record*> records;
  for (const auto& r : srv.answers)
    if (r.type == static_cast<std::uint16_t>(RecordType::srv) && r.port != 0 && !r.target.empty()) records.push_back(&r);
  if (records.empty()) return out;
  const auto lowest = (*std::min_element(records.begin(), records.end(), [](auto* a, auto* b) { return a->priority < b->priority; }))->priority;
  // Every address record we were given, by name.
  std::multimap<std::string, const Record*> addresses;
  for (const auto& r : srv.additional)
    if (is_address(r)) addresses.emplace(r.name, &r);
  for (const auto& a : more)
    for (const auto& r : a.answers)
      if (is_address(r)) addresses.emplace(r.name, &r);
  std::size_t targets = 0;
  for (const auto* r : records) {
    out.ttl = std::min(out.ttl, r->ttl);
    if (r->priority != lowest || ++targets > kMaxTargets) continue;
    auto [from, to] = addresses.equal_range(r->target);
    if (from == to) {
      out.unresolved.push_back(r->target);
      continue;
    }
    for (auto it = from; it != to; ++it) {
      Instance inst;
      inst.address = join_host_port(it->second->address, r->port);
      inst.key = r->target + "/" + inst.address;
      inst.weight = std::max<int>(1, r->weight);
      out.ttl = std::min(out.ttl, it->second->ttl);
      out.instances.push_back(std::move(inst));
    }
  }
  std::sort(out.unresolved.begin(), out.unresolved.end());
  out.unresolved.erase(std::unique(out.unresolved.begin(), out.unresolved.end()), out.unresolved.end());
  return out;
}

// The lookup loop, on the registry's thread; it reaches the instancer only through its gate.
struct SrvInstancer::Loop {
  std::mutex mu;
  SrvInstancer* self = nullptr;
  std::atomic<bool> stopping{false};
  Resolver resolver;
  std::string name;
  asio::steady_timer timer;
  log::Logger log;

  Loop(asio::any_io_executor ex, const std::string& server, std::string n)
      : resolver(ex, server), name(std::move(n)), timer(ex), log(log::Logger("instancer").with({{"srv", name}})) {}

  template <class F>
  void publish(F f) {
    std::lock_guard lock(mu);
    if (self) f(*self);
  }

  // One lookup: the SRV name, then the targets the additional section did not resolve.
  asio::awaitable<Result<Resolution>> lookup() {
    auto srv = co_await resolver.query(name, RecordType::srv, kQueryTimeout);
    if (!srv.ok()) co_return srv.status();
    if (srv->rcode == 3) co_return Resolution{};  // NXDOMAIN: the name is gone, and so are its instances
    if (srv->rcode != 0) co_return unavailable("DNS server " + resolver.server() + " answered rcode " + std::to_string(srv->rcode) + " for " + name);
    auto first = resolve_srv(*srv);
    if (first.unresolved.empty()) co_return first;
    std::vector<Answer> more;
    for (const auto& target : first.unresolved)
      for (auto type : {RecordType::a, RecordType::aaaa}) {
        auto a = co_await resolver.query(target, type, kQueryTimeout);
        if (!a.ok()) co_return a.status();
        more.push_back(std::move(*a));
      }
    auto all = resolve_srv(*srv, more);
    for (const auto& t : all.unresolved) log.warn("SRV target has no address; skipping it", {{"target", t}});
    co_return all;
  }

  static asio::awaitable<void> run(std::shared_ptr<Loop> self) {
    auto backoff = std::chrono::seconds(kErrorFirst);
    bool failing = false;
    while (!self->stopping.load()) {
      auto r = co_await self->lookup();
      if (self->stopping.load()) co_return;
      std::chrono::seconds next;
      if (r.ok()) {
        if (failing) self->log.info("DNS answers again");
        failing = false;
        backoff = kErrorFirst;
        next = std::chrono::seconds(std::clamp(r->ttl, kMinRefreshS, kMaxRefreshS));
        self->publish([&](SrvInstancer& i) {
          i.replace_all(std::move(r->instances));
          i.set_status({});
        });
      } else {
        if (!failing) self->log.warn("DNS lookup failed; keeping the last set", {{"error", r.status().message()}});
        failing = true;
        self->publish([&](SrvInstancer& i) { i.set_status(r.status()); });
        next = backoff;
        backoff = std::min<std::chrono::seconds>(backoff * 2, kErrorMax);
      }
      self->timer.expires_after(next);
      boost::system::error_code ec;
      co_await self->timer.async_wait(asio::redirect_error(asio::use_awaitable, ec));
    }
  }
};

std::shared_ptr<SrvInstancer> SrvInstancer::create(std::shared_ptr<void> owner, asio::any_io_executor ex, std::string resolver,
                                                   std::string srv_name) {
  auto p = std::make_shared<SrvInstancer>(Private{}, std::move(owner));
  p->loop_ = std::make_shared<Loop>(ex, resolver, std::move(srv_name));
  p->loop_->self = p.get();
  asio::co_spawn(ex, Loop::run(p->loop_), asio::detached);
  return p;
}

SrvInstancer::SrvInstancer(Private, std::shared_ptr<void> owner) : owner_(std::move(owner)) {}

SrvInstancer::~SrvInstancer() {
  {
    std::lock_guard lock(loop_->mu);
    loop_->self = nullptr;
  }
  loop_->stopping = true;
  asio::post(loop_->timer.get_executor(), [l = loop_] { l->timer.cancel(); });
}

}  // namespace svckit::sd::dns
