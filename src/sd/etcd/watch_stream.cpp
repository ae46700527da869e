// The one Watch stream a Client multiplexes all its watches over, and how it comes back after failures.
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>

#include "client_impl.hpp"
#include "watch_events.hpp"
#include "svckit/transport/grpc/message.hpp"

namespace svckit::sd::etcd {

namespace asio = boost::asio;
namespace pb = etcdserverpb;

void Client::Impl::add_watch(std::int64_t id, Watch w) {
  if (closed) return;
  auto& added = watches.emplace(id, std::move(w)).first->second;
  if (watch_stream) send_watch_create(id, added);
  if (!watch_stream_running) {
    watch_stream_running = true;
    asio::co_spawn(io, run_watch_stream(), asio::detached);
  }
}

void Client::Impl::remove_watch(std::int64_t id) {
  if (watches.erase(id) == 0 || !watch_stream) return;
  pb::WatchRequest req;
  req.mutable_cancel_request()->set_watch_id(id);
  watch_stream->write(grpc::serialize_message(req));
}

void Client::Impl::send_watch_create(std::int64_t id, const Watch& w) {
  pb::WatchRequest req;
  auto* c = req.mutable_create_request();
  c->set_key(w.key);
  c->set_range_end(w.range_end);
  c->set_start_revision(w.next_revision);
  c->set_watch_id(id);  // ours, so responses map to watches without relying on creation order
  c->set_progress_notify(true);  // keeps next_revision moving on quiet prefixes
  watch_stream->write(grpc::serialize_message(req));
}

asio::awaitable<void> Client::Impl::run_watch_stream() {
  Backoff backoff(opts.backoff_initial, opts.backoff_max);
  bool lost = false;
  while (!closed && !watches.empty()) {
    auto stream = grpc::BidiStream::open(channel, "/etcdserverpb.Watch/Watch", io.get_executor(), stream_metadata(),
                                           /*wait_for_ready=*/true);
    watch_stream = stream;
    for (const auto& [id, w] : watches) send_watch_create(id, w);
    // The stream waits for the channel to (re)connect; if no member answers soon, say so instead of
    // looking healthy while nothing is watched.
    auto answered = std::make_shared<bool>(false);
    asio::co_spawn(io, [this, stream, answered]() -> asio::awaitable<void> {
      if (co_await sleep(kConnectGrace) && !*answered && watch_stream == stream)
        tell_watches_broken(unavailable("etcd not reachable at " + target));
    }, asio::detached);
    ::grpc::ByteBuffer buf;
    while (co_await stream->read(buf)) {
      *answered = true;
      pb::WatchResponse resp;
      if (auto s = grpc::parse_message(buf, resp); !s.ok()) {
        log.error("etcd watch response does not parse", {{"error", s.message()}});
        continue;
      }
      if (lost) {
        log.info("etcd watch stream restored", {{"watches", watches.size()}});
        lost = false;
      }
      backoff.reset();
      on_watch_response(resp);
    }
    watch_stream.reset();
    ::grpc::Status st = co_await stream->finish();
    if (closed) break;
    if (!lost) {
      log.warn("etcd watch stream lost; reconnecting", {{"code", static_cast<int>(st.error_code())},
                                                         {"error", st.error_message()}, {"target", target}});
      lost = true;
    }
    tell_watches_broken(unavailable("etcd watch stream lost: " + st.error_message()));
    if (!co_await sleep(backoff.next())) break;
  }
  watch_stream_running = false;
}

void Client::Impl::tell_watches_broken(const Status& why) {
  // Once per watcher; callbacks may add or cancel watches, so look each one up again.
  std::vector<std::int64_t> ids;
  for (const auto& [id, w] : watches)
    if (!w.broken) ids.push_back(id);
  for (auto id : ids) {
    auto it = watches.find(id);
    if (it == watches.end()) continue;
    it->second.broken = true;
    auto cb = it->second.callback;
    cb({{}, 0, why});
  }
}

void Client::Impl::on_watch_response(const pb::WatchResponse& resp) {
  auto it = watches.find(resp.watch_id());
  if (it == watches.end()) {
    if (resp.created() && !resp.canceled() && watch_stream) {  // cancelled while being created
      pb::WatchRequest req;
      req.mutable_cancel_request()->set_watch_id(resp.watch_id());
      watch_stream->write(grpc::serialize_message(req));
    }
    return;
  }
  Watch& w = it->second;
  auto revision = resp.header().revision();
  if (resp.canceled() || resp.compact_revision() > 0) {
    Status why = resp.compact_revision() > 0
                     ? Status(StatusCode::OutOfRange, "etcd watch on " + w.key + ": history before revision " +
                                                          std::to_string(resp.compact_revision()) + " was compacted")
                     : Status(StatusCode::Aborted, "etcd cancelled the watch on " + w.key + ": " + resp.cancel_reason());
    auto cb = std::move(w.callback);
    watches.erase(it);
    cb({{}, revision, why});
    return;
  }
  if (resp.created()) {
    if (w.next_revision == 0) w.next_revision = revision + 1;  // "from now" means after this revision
    if (w.broken) {
      w.broken = false;
      auto cb = w.callback;
      cb({{}, revision, Status{}});
    }
    return;
  }
  WatchUpdate update;
  update.revision = revision;
  update.events = detail::events_of(resp);
  if (update.events.empty()) {  // a progress notification: nothing before this revision is still to come
    w.next_revision = std::max(w.next_revision, revision + 1);
    return;
  }
  w.next_revision = update.events.back().kv.mod_revision + 1;
  auto cb = w.callback;  // a copy: the callback may cancel this watch
  cb(update);
}

}  // namespace svckit::sd::etcd
