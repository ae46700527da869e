// The one LeaseKeepAlive stream a Client refreshes all its leases over, and how it leaves a member that stops
// answering before any lease could lapse.
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/use_awaitable.hpp>

#include "client_impl.hpp"
#include "svckit/transport/grpc/message.hpp"

namespace svckit::sd::etcd {

namespace asio = boost::asio;
namespace pb = etcdserverpb;
using namespace std::chrono_literals;

void Client::Impl::add_lease(std::int64_t id, KeptLease l) {
  if (closed) return;
  leases[id] = std::move(l);
  keepalive_wake.cancel();  // the sender recomputes its next refresh
  if (!keepalive_running) {
    keepalive_running = true;
    asio::co_spawn(io, run_keepalive_stream(), asio::detached);
  }
}

std::chrono::milliseconds Client::Impl::refresh_answer_timeout() const {
  // A refresh goes out every TTL/3; answered within TTL/6, a member that froze right after its last answer
  // is left by TTL/2, and the refreshes sent again at once to the next member land well before the TTL.
  std::chrono::milliseconds t = opts.answer_timeout;
  for (const auto& [id, l] : leases) t = std::min(t, std::chrono::milliseconds(l.ttl) / 6);
  return std::max(t, 100ms);
}

asio::awaitable<void> Client::Impl::run_keepalive_stream() {
  Backoff backoff(opts.backoff_initial, opts.backoff_max);
  bool lost = false;
  while (!closed && !leases.empty()) {
    auto member = members->current();
    // Waits for the member's connection (so it starts the moment a member is back after an outage); the
    // watchdog in send_keepalives leaves a member that does not connect or answer in time.
    auto stream = grpc::BidiStream::open(member->channel, "/etcdserverpb.Lease/LeaseKeepAlive",
                                         io.get_executor(), stream_metadata(), /*wait_for_ready=*/true);
    keepalive_stream = stream;
    keepalive_ended_by_us = false;
    keepalive_member = member;
    keepalive_clock.reset(std::chrono::steady_clock::now());
    // After a reconnect the leases may be close to expiry: refresh every one at once.
    for (auto& [id, l] : leases) l.next_refresh = std::chrono::steady_clock::now();
    asio::co_spawn(io, send_keepalives(stream, member), asio::detached);
    ::grpc::ByteBuffer buf;
    while (co_await stream->read(buf)) {
      keepalive_clock.heard(std::chrono::steady_clock::now());
      members->answered(member);
      pb::LeaseKeepAliveResponse resp;
      if (auto s = grpc::parse_message(buf, resp); !s.ok()) {
        log.error("etcd keepalive response does not parse", {{"error", s.message()}});
        continue;
      }
      if (lost) {
        log.info("etcd keepalive stream restored", {{"leases", leases.size()}, {"member", member->address}});
        lost = false;
      }
      backoff.reset();
      auto it = leases.find(resp.id());
      if (it == leases.end()) continue;
      if (resp.ttl() <= 0) {  // etcd no longer has this lease
        auto cb = std::move(it->second.callback);
        leases.erase(it);
        cb(0);
      } else {
        auto cb = it->second.callback;  // a copy: the callback may forget the lease
        cb(resp.ttl());
      }
    }
    keepalive_stream.reset();
    keepalive_wake.cancel();  // ends this stream's sender
    ::grpc::Status st = co_await stream->finish();
    if (closed) break;
    members->failed(member, st.error_message());  // moves nothing if the stream was ended by a move
    if (!lost) {
      log.warn("etcd keepalive stream lost; reconnecting", {{"code", static_cast<int>(st.error_code())},
                                                             {"error", st.error_message()},
                                                             {"member", member->address}});
      lost = true;
    }
    // Ended by us (a member that did not answer, a move): that member already had its time; go on at once.
    // Ended by etcd or the network: back off, but soon enough to refresh every lease before it expires (at
    // most a quarter of the shortest TTL).
    if (keepalive_ended_by_us) continue;
    auto pause = backoff.next();
    for (const auto& [id, l] : leases) pause = std::min(pause, std::chrono::milliseconds(l.ttl) / 4);
    if (!co_await sleep(pause)) break;
  }
  keepalive_running = false;
}

asio::awaitable<void> Client::Impl::send_keepalives(std::shared_ptr<grpc::BidiStream> stream, Members::MemberPtr member) {
  while (!closed && keepalive_stream == stream) {
    auto now = std::chrono::steady_clock::now();
    auto answer_timeout = refresh_answer_timeout();
    if (keepalive_clock.waiting() && now - keepalive_clock.asked_at() >= answer_timeout) {
      members->failed(member, "lease refresh unanswered for " + std::to_string(answer_timeout.count()) + " ms");
      keepalive_ended_by_us = true;
      stream->cancel();  // the reader sees the end and reopens on the current member
      break;
    }
    auto next = now + 1h;
    for (auto& [id, l] : leases) {
      if (l.next_refresh <= now) {
        pb::LeaseKeepAliveRequest req;
        req.set_id(id);
        stream->write(grpc::serialize_message(req));
        keepalive_clock.asked(now);
        l.next_refresh = now + std::max(std::chrono::milliseconds(l.ttl) / 3, 500ms);
      }
      next = std::min(next, l.next_refresh);
    }
    if (keepalive_clock.waiting()) next = std::min(next, keepalive_clock.asked_at() + answer_timeout);
    keepalive_wake.expires_at(next);
    boost::system::error_code ec;
    co_await keepalive_wake.async_wait(asio::redirect_error(asio::use_awaitable, ec));
  }
}

}  // namespace svckit::sd::etcd
