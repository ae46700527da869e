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
    auto member = members->current();
    // Waits for the member's connection (so it starts the moment a member is back after an outage); the
    // watchdog leaves a member that does not connect or answer in time.
    auto stream = grpc::BidiStream::open(member->channel, "/etcdserverpb.Watch/Watch", io.get_executor(),
                                         stream_metadata(), /*wait_for_ready=*/true);
    watch_stream = stream;
    watch_ended_by_us = false;
    watch_member = member;
    watch_clock.reset(std::chrono::steady_clock::now());
    for (const auto& [id, w] : watches) send_watch_create(id, w);
    asio::co_spawn(io, watch_watchdog(stream, member), asio::detached);
    ::grpc::ByteBuffer buf;
    while (co_await stream->read(buf)) {
      watch_clock.heard(std::chrono::steady_clock::now());
      members->answered(member);
      pb::WatchResponse resp;
      if (auto s = grpc::parse_message(buf, resp); !s.ok()) {
        log.error("etcd watch response does not parse", {{"error", s.message()}});
        continue;
      }
      if (lost) {
        log.info("etcd watch stream restored", {{"watches", watches.size()}, {"member", member->address}});
        lost = false;
      }
      backoff.reset();
      on_watch_response(resp);
    }
    watch_stream.reset();
    ::grpc::Status st = co_await stream->finish();
    if (closed) break;
    members->failed(member, st.error_message());  // moves nothing if the stream was ended by a move
    if (!lost) {
      log.warn("etcd watch stream lost; reconnecting", {{"code", static_cast<int>(st.error_code())},
                                                         {"error", st.error_message()},
                                                         {"member", member->address}});
      lost = true;
    }
    tell_watches_broken(unavailable("etcd watch stream lost: " + st.error_message()));
    // Ended by us (a member that did not answer, a move): that member already had its time; go on at once.
    if (!watch_ended_by_us && !co_await sleep(backoff.next())) break;
  }
  watch_stream_running = false;
}

asio::awaitable<void> Client::Impl::watch_watchdog(std::shared_ptr<grpc::BidiStream> stream, Members::MemberPtr member) {
  // The creates just sent are the first question; after that, a stream quiet for answer_timeout is asked
  // for progress (answered at once by a live member, even with no events to send).
  watch_clock.asked(std::chrono::steady_clock::now());
  const auto timeout = opts.answer_timeout;
  for (;;) {
    auto due = watch_clock.waiting() ? watch_clock.asked_at() + timeout : watch_clock.heard_at() + timeout;
    auto wait = std::chrono::ceil<std::chrono::milliseconds>(due - std::chrono::steady_clock::now());
    if (!co_await sleep(std::max(wait, std::chrono::milliseconds(1))) || watch_stream != stream) co_return;
    auto now = std::chrono::steady_clock::now();
    if (watch_clock.waiting() && now - watch_clock.asked_at() >= timeout) {
      members->failed(member, "watch stream unanswered for " + std::to_string(timeout.count()) + " ms");
      watch_ended_by_us = true;
      stream->cancel();  // the reader sees the end, tells the watches, and reopens on the current member
      co_return;
    }
    if (!watch_clock.waiting() && now - watch_clock.heard_at() >= timeout) {
      pb::WatchRequest req;
      req.mutable_progress_request();
      stream->write(grpc::serialize_message(req));
      watch_clock.asked(now);
    }
  }
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
    if (revision + 1 < w.next_revision && !history_check_running) {
      history_check_running = true;
      asio::co_spawn(io, check_history(), asio::detached);
    }
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
