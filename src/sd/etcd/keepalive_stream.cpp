// The one LeaseKeepAlive stream a Client refreshes all its leases over.
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/use_awaitable.hpp>

#include "client_impl.hpp"
#include "svckit/transport/grpc/message.hpp"

namespace svckit::sd::etcd {

namespace asio = boost::asio;
namespace pb = etcdserverpb;

void Client::Impl::add_lease(std::int64_t id, KeptLease l) {
  if (closed) return;
  leases[id] = std::move(l);
  keepalive_wake.cancel();  // the sender recomputes its next refresh
  if (!keepalive_running) {
    keepalive_running = true;
    asio::co_spawn(io, run_keepalive_stream(), asio::detached);
  }
}

asio::awaitable<void> Client::Impl::run_keepalive_stream() {
  Backoff backoff(opts.backoff_initial, opts.backoff_max);
  bool lost = false;
  while (!closed && !leases.empty()) {
    auto stream =
        grpc::BidiStream::open(channel, "/etcdserverpb.Lease/LeaseKeepAlive", io.get_executor(), stream_metadata(),
                                           /*wait_for_ready=*/true);
    keepalive_stream = stream;
    // After a reconnect the leases may be close to expiry: refresh every one at once.
    for (auto& [id, l] : leases) l.next_refresh = std::chrono::steady_clock::now();
    asio::co_spawn(io, send_keepalives(stream), asio::detached);
    ::grpc::ByteBuffer buf;
    while (co_await stream->read(buf)) {
      pb::LeaseKeepAliveResponse resp;
      if (auto s = grpc::parse_message(buf, resp); !s.ok()) {
        log.error("etcd keepalive response does not parse", {{"error", s.message()}});
        continue;
      }
      if (lost) {
        log.info("etcd keepalive stream restored", {{"leases", leases.size()}});
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
    if (!lost) {
      log.warn("etcd keepalive stream lost; reconnecting", {{"code", static_cast<int>(st.error_code())},
                                                             {"error", st.error_message()}, {"target", target}});
      lost = true;
    }
    // Back soon enough to refresh every lease before it expires: at most a quarter of the shortest TTL.
    auto pause = backoff.next();
    for (const auto& [id, l] : leases) pause = std::min<std::chrono::milliseconds>(pause, l.ttl / 4);
    if (!co_await sleep(pause)) break;
  }
  keepalive_running = false;
}

asio::awaitable<void> Client::Impl::send_keepalives(std::shared_ptr<grpc::BidiStream> stream) {
  using namespace std::chrono_literals;
  while (!closed && keepalive_stream == stream) {
    auto now = std::chrono::steady_clock::now();
    auto next = now + 1h;
    for (auto& [id, l] : leases) {
      if (l.next_refresh <= now) {
        pb::LeaseKeepAliveRequest req;
        req.set_id(id);
        stream->write(grpc::serialize_message(req));
        l.next_refresh = now + std::max<std::chrono::milliseconds>(l.ttl / 3, 500ms);
      }
      next = std::min(next, l.next_refresh);
    }
    keepalive_wake.expires_at(next);
    boost::system::error_code ec;
    co_await keepalive_wake.async_wait(asio::redirect_error(asio::use_awaitable, ec));
  }
}

}  // namespace svckit::sd::etcd
