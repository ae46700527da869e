#include "svckit/transport/grpc/wire_channel.hpp"

#include <pthread.h>

#include <algorithm>
#include <atomic>
#include <cstdint>
#include <mutex>
#include <thread>
#include <unordered_map>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>

#include "../../codec/base64.hpp"
#include "../../tls/ssl_context.hpp"
#include "svckit/address.hpp"
#include "svckit/metadata.hpp"
#include "svckit/trace/span.hpp"
#include "wire/client_connection.hpp"
#include "wire/framing.hpp"

namespace svckit::grpc {

namespace asio = boost::asio;
using Clock = std::chrono::steady_clock;

namespace {

constexpr auto kFirstBackoff = std::chrono::milliseconds(100);
constexpr auto kMaxBackoff = std::chrono::milliseconds(2000);

// Where callers that are not on an io_context's own thread make their calls: one thread for the process,
// started by the first such call.
class FallbackThread {
 public:
  static asio::io_context& io() {
    static FallbackThread t;
    return t.io_;
  }

 private:
  FallbackThread() : guard_(io_.get_executor()) {
    thread_ = std::thread([this] {
      pthread_setname_np(pthread_self(), "grpc-wire-cli");
      io_.run();
    });
  }
  ~FallbackThread() {
    guard_.reset();
    io_.stop();
    thread_.join();
  }
  asio::io_context io_{1};
  asio::executor_work_guard<asio::io_context::executor_type> guard_;
  std::thread thread_;
};

// The io_context whose own thread runs the caller, if any.
asio::io_context* callers_io(const asio::any_io_executor& ex) {
  using Plain = asio::io_context::executor_type;
  using Tracked = decltype(asio::require(std::declval<Plain>(), asio::execution::outstanding_work.tracked));
  asio::io_context* io = nullptr;
  if (const auto* e = ex.target<Plain>()) io = &e->context();
  else if (const auto* t = ex.target<Tracked>()) io = &t->context();
  return io && io->get_executor().running_in_this_thread() ? io : nullptr;
}

}  // namespace

// One io thread's connection to the target, and when to try again after a failed connect.
struct Slot {
  std::shared_ptr<wire::ClientConnection> conn;
  std::uint64_t generation = 0;  // of conn: how many this slot has made
  std::uint64_t counted = 0;     // the failed connection the backoff was last raised for
  std::chrono::milliseconds backoff{0};
  Clock::time_point retry_at;
};

struct WireChannel::State {
  std::string target, host, port;
  WireChannelOptions opts;
  std::shared_ptr<asio::ssl::context> tls;  // from opts.tls, shared by the connections; null: plaintext
  std::mutex mu;  // guards the map; a Slot itself is touched only on its io_context's thread
  std::unordered_map<asio::io_context*, Slot> slots;
  std::atomic<std::size_t> opened{0};
  std::atomic<bool> closed{false};  // the WireChannel is gone: calls still running open no new connection
  // opts.keepalive_time, doubled each time a server said "too_many_pings" (as grpc-go's and gRPC C++'s
  // clients do): the connections opened after it ping half as often.
  std::atomic<std::int64_t> keepalive_ms{0};

  void ping_less_after(const wire::ClientConnection& conn) {
    if (!conn.told_too_many_pings()) return;
    const std::int64_t doubled = 2 * conn.keepalive_time().count();
    std::int64_t now = keepalive_ms.load();
    while (now < doubled && !keepalive_ms.compare_exchange_weak(now, doubled)) {
    }
  }

  std::shared_ptr<wire::ClientConnection> connect(asio::io_context& io) const {
    auto with = opts;
    with.keepalive_time = std::chrono::milliseconds(keepalive_ms.load());
    return std::make_shared<wire::ClientConnection>(io, host, port, with, tls);
  }

  Result<wire::OutgoingCall> outgoing(const std::string& full_method, const Context& ctx, const std::string& request,
                                      const ClientOptions& copts, const trace::Span& span) const;

  Slot& slot_for(asio::io_context& io) {
    std::lock_guard lock(mu);
    return slots[&io];  // nodes never move: the reference outlives the lock
  }

  // The call on the connection of `io`, the caller's thread's; connects (or waits out the backoff) first.
  // `peer` is set to the address called, once connected (for the span). run(conn) makes the call: a unary
  // call (R = Result<std::string>) or a server stream (R = Status).
  template <class R, class Run>
  asio::awaitable<R> call_on(asio::io_context& io, const wire::OutgoingCall& call, bool wait_for_ready, std::string& peer, Run run) {
    Slot& slot = slot_for(io);
    for (;;) {
      if (!slot.conn || !slot.conn->usable()) {
        if (closed) co_return unavailable("the channel to " + target + " was closed");
        const auto now = Clock::now();
        if (slot.conn && slot.conn->connect_failed() && now < slot.retry_at) {
          if (!wait_for_ready || now >= call.deadline)
            co_return unavailable("cannot connect to " + target + " (next attempt in " +
                                  std::to_string(std::chrono::duration_cast<std::chrono::milliseconds>(slot.retry_at - now).count()) + " ms)");
          asio::steady_timer pause(io, std::min(slot.retry_at, call.deadline));
          co_await pause.async_wait(asio::use_awaitable);
          if (Clock::now() >= call.deadline) co_return deadline_exceeded("deadline exceeded waiting to connect to " + target);
          continue;
        }
        slot.conn = connect(io);
        ++slot.generation;
        opened.fetch_add(1, std::memory_order_relaxed);
      }
      auto conn = slot.conn;
      const auto generation = slot.generation;
      R r = co_await run(*conn, call);
      peer = conn->peer();
      ping_less_after(*conn);
      if (conn->connected_once()) slot.backoff = std::chrono::milliseconds(0);
      if (conn->connect_failed() && slot.counted < generation) {  // once per failed connection, not per call on it
        slot.counted = generation;
        slot.backoff = std::clamp(slot.backoff * 2, std::chrono::milliseconds(kFirstBackoff), std::chrono::milliseconds(kMaxBackoff));
        slot.retry_at = Clock::now() + slot.backoff;
      }
      if (conn->connect_failed() && wait_for_ready && Clock::now() < call.deadline) continue;
      co_return r;
    }
  }
};

namespace {
// call_on with everything it uses owned by its own frame (for a call that runs on another thread).
template <class R, class Run>
asio::awaitable<R> call_owned(std::shared_ptr<WireChannel::State> st, asio::io_context& io, wire::OutgoingCall call, bool wait_for_ready,
                              std::shared_ptr<std::string> peer, Run run) {
  co_return co_await st->call_on<R>(io, call, wait_for_ready, *peer, std::move(run));
}

// The call from a caller off the io threads: on the channel's fallback thread's connection, and back.
template <class R, class Run>
asio::awaitable<R> call_via_fallback(const std::shared_ptr<WireChannel::State>& st, wire::OutgoingCall call, bool wait_for_ready,
                                     std::string& peer, Run run) {
  auto& io_fb = FallbackThread::io();
  auto peer_there = std::make_shared<std::string>();  // written on the channel's thread, read after the call
  R r = co_await asio::co_spawn(io_fb, call_owned<R>(st, io_fb, std::move(call), wait_for_ready, peer_there, std::move(run)),
                                asio::use_awaitable);
  peer = *peer_there;
  co_return r;
}

void end_span(trace::Span& span, const std::string& peer, const Status& status) {
  if (!span.recording()) return;
  span.set_remote(peer);
  span.tag("rpc.system", "grpc");
  span.tag("grpc.status_code", std::to_string(static_cast<int>(status.code())));
  span.end(status);
}
}  // namespace

std::shared_ptr<WireChannel> WireChannel::create(std::string target, WireChannelOptions opts) {
  auto st = std::make_shared<State>();
  auto [host, port] = split_host_port(target);
  if (host.empty() || port == 0) throw std::invalid_argument("grpc::WireChannel: target must be host:port, not \"" + target.substr(0, 128) + "\"");
  st->host = host;
  st->port = std::to_string(port);
  st->target = std::move(target);
  st->opts = opts;
  st->keepalive_ms = opts.keepalive_time.count();
  if (opts.tls) {
    st->tls = std::make_shared<asio::ssl::context>(tls::detail::client_context(*opts.tls));
    wire::offer_h2(*st->tls);
  }
  return std::shared_ptr<WireChannel>(new WireChannel(std::move(st)));
}

WireChannel::WireChannel(std::shared_ptr<State> state) : state_(std::move(state)) {}

WireChannel::~WireChannel() {
  // Each connection is closed on its own thread, where its slot is touched (its calls fail with UNAVAILABLE).
  state_->closed = true;
  std::lock_guard lock(state_->mu);
  for (auto& [io, slot] : state_->slots)
    asio::post(*io, [st = state_, &slot = slot] {
      if (slot.conn) slot.conn->close(unavailable("the channel to " + st->target + " was closed"));
      slot.conn.reset();
    });
}

const std::string& WireChannel::target() const { return state_->target; }
std::size_t WireChannel::connections_opened() const { return state_->opened.load(); }

// The call's request and metadata (its span's traceparent among them), or why it cannot be made.
Result<wire::OutgoingCall> WireChannel::State::outgoing(const std::string& full_method, const Context& ctx, const std::string& request,
                                                        const ClientOptions& copts, const trace::Span& span) const {
  if (ctx.expired()) return deadline_exceeded("deadline exceeded before calling " + full_method);
  if (request.size() > opts.max_message_bytes)
    return Status(StatusCode::ResourceExhausted, "request of " + std::to_string(request.size()) + " bytes is over the limit of " +
                                                     std::to_string(opts.max_message_bytes));
  for (const auto& [k, v] : copts.metadata)
    if (!valid_metadata_key(k) || !valid_metadata_value(k, v))
      return invalid_argument("metadata \"" + k.substr(0, 64) + "\" is not valid gRPC metadata (svckit/metadata.hpp)");
  wire::OutgoingCall call;
  call.path = full_method;
  call.deadline = ctx.deadline().value_or(Clock::now() + copts.timeout);
  if (!ctx.request_id().empty()) call.metadata.emplace_back("x-request-id", ctx.request_id());
  call.metadata.emplace_back(std::string(trace::kTraceparentHeader), trace::format_traceparent(span.context()));
  if (auto state = ctx.metadata(trace::kTracestateHeader); !state.empty())
    call.metadata.emplace_back(std::string(trace::kTracestateHeader), std::string(state));
  for (const auto& [k, v] : copts.metadata)
    call.metadata.emplace_back(k, k.ends_with("-bin") ? codec::base64_encode(v, codec::Base64::Standard) : v);
  call.body = wire::frame_message(request);
  return call;
}

asio::awaitable<Result<std::string>> WireChannel::unary(const std::string& full_method, const Context& ctx, std::string request,
                                                        const ClientOptions& opts) {
  auto st = state_;  // alive until the call ends, whatever happens to the channel meanwhile
  auto span = trace::Span::client(std::string_view(full_method).substr(full_method.starts_with('/') ? 1 : 0), ctx.span());
  auto call = st->outgoing(full_method, ctx, request, opts, span);
  if (!call.ok()) co_return call.status();
  std::string peer;
  auto run = [](wire::ClientConnection& conn, const wire::OutgoingCall& c) { return conn.unary(c); };
  using R = Result<std::string>;
  // On the caller's io thread's connection when it runs on one (no extra coroutine frame on this path).
  const auto ex = co_await asio::this_coro::executor;
  auto* io = callers_io(ex);
  R r = Status();
  if (io) r = co_await st->call_on<R>(*io, *call, opts.wait_for_ready, peer, run);
  else r = co_await call_via_fallback<R>(st, std::move(*call), opts.wait_for_ready, peer, run);
  end_span(span, peer, r.ok() ? Status() : r.status());
  co_return r;
}

asio::awaitable<Status> WireChannel::server_stream(const std::string& full_method, const Context& ctx, std::string request,
                                                   const WireMessageSink& sink, const ClientOptions& opts) {
  auto st = state_;
  auto span = trace::Span::client(std::string_view(full_method).substr(full_method.starts_with('/') ? 1 : 0), ctx.span());
  auto call = st->outgoing(full_method, ctx, request, opts, span);
  if (!call.ok()) co_return call.status();
  // The sink runs on the caller's executor, also when the call itself runs on the channel's thread.
  auto caller = co_await asio::this_coro::executor;
  const bool here = callers_io(caller) != nullptr;
  wire::MessageSink on_message = [&sink, caller, here](std::string m) -> asio::awaitable<bool> {
    if (here) co_return co_await sink(std::move(m));
    co_return co_await asio::co_spawn(caller, sink(std::move(m)), asio::use_awaitable);
  };
  std::string peer;
  auto run = [&on_message](wire::ClientConnection& conn, const wire::OutgoingCall& c) { return conn.server_stream(c, on_message); };
  Status s;
  if (here) s = co_await st->call_on<Status>(*callers_io(caller), *call, opts.wait_for_ready, peer, run);
  else s = co_await call_via_fallback<Status>(st, std::move(*call), opts.wait_for_ready, peer, run);
  end_span(span, peer, s);
  co_return s;
}

asio::awaitable<Status> WireChannel::bidi_stream(const std::string& full_method, const Context& ctx, const WireStreamDriver& drive,
                                                 const ClientOptions& opts) {
  auto st = state_;
  auto span = trace::Span::client(std::string_view(full_method).substr(full_method.starts_with('/') ? 1 : 0), ctx.span());
  auto call = st->outgoing(full_method, ctx, "", opts, span);
  if (!call.ok()) co_return call.status();
  call->body.clear();  // the driver writes the messages
  auto caller = co_await asio::this_coro::executor;
  std::string peer;
  auto run = [&drive](wire::ClientConnection& conn, const wire::OutgoingCall& c) { return conn.bidi_stream(c, drive); };
  Status s;
  if (auto* io = callers_io(caller)) s = co_await st->call_on<Status>(*io, *call, opts.wait_for_ready, peer, run);
  else s = co_await call_via_fallback<Status>(st, std::move(*call), opts.wait_for_ready, peer, run);
  end_span(span, peer, s);
  co_return s;
}

asio::awaitable<Status> WireChannel::bidi_pump(const std::string& full_method, const Context& ctx, const WireMessageSource& requests,
                                               const WireMessageSink& replies, const ClientOptions& opts) {
  bool enough = false;
  WireStreamDriver drive = [&](WireStreamReader& in, WireRequestWriter& out) -> asio::awaitable<void> {
    // Sends every request, closes, then waits for the replies' end to cancel it.
    auto send_all = [&]() -> asio::awaitable<void> {
      while (auto m = co_await requests())
        if (!co_await out.write(std::move(*m))) break;  // the call is over
      out.close();
      asio::steady_timer until_cancelled(co_await asio::this_coro::executor, Clock::time_point::max());
      co_await until_cancelled.async_wait(asio::as_tuple(asio::use_awaitable));
    };
    auto receive_all = [&]() -> asio::awaitable<void> {
      while (auto m = co_await in.read())
        if (!co_await replies(std::move(*m))) {
          enough = true;
          co_return;
        }
    };
    using namespace asio::experimental::awaitable_operators;
    co_await (receive_all() || send_all());
  };
  Status s = co_await bidi_stream(full_method, ctx, drive, opts);
  if (enough) co_return Status(StatusCode::Cancelled, "the receiver ended the stream");
  co_return s;
}

}  // namespace svckit::grpc
