#include "svckit/transport/grpc/server.hpp"

#include <pthread.h>

#include <cassert>

#include <boost/asio/bind_cancellation_slot.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/post.hpp>
#include <grpcpp/security/server_credentials.h>
#include <grpcpp/server_builder.h>

#include "runtime.hpp"
#include "server_state.hpp"
#include "svckit/address.hpp"
#include "svckit/transport/grpc/status.hpp"

namespace svckit::grpc {

namespace asio = boost::asio;

namespace {

std::optional<Context::Clock::time_point> to_steady(std::chrono::system_clock::time_point t) {
  auto left = t - std::chrono::system_clock::now();
  if (left > std::chrono::hours(24 * 365)) return std::nullopt;  // gRPC's "infinite" deadline
  return Context::Clock::now() + std::chrono::duration_cast<Context::Clock::duration>(left);
}

}  // namespace

std::shared_ptr<HandlerState> start_handler(const Method& m, ::grpc::ServerContext& ctx) {
  auto h = std::make_shared<HandlerState>();
  Context& c = h->ctx;
  if (auto d = to_steady(ctx.deadline())) c.set_deadline(*d);
  std::string_view traceparent;
  for (const auto& [k, v] : ctx.client_metadata()) {
    std::string_view key(k.data(), k.size());
    // gRPC's own headers (grpc-*, user-agent) describe the transport, not the request.
    if (key.starts_with("grpc-") || key == "user-agent") continue;
    if (key == "x-request-id") c.set_request_id(std::string(v.data(), v.size()));
    if (key == trace::kTraceparentHeader) traceparent = std::string_view(v.data(), v.size());  // lives with ctx
    c.add_metadata(std::string(key), std::string(v.data(), v.size()));
  }
  if (c.request_id().empty()) c.set_request_id(new_request_id());
  if (m.traced) {
    h->span = trace::Span::server(std::string_view(*m.name).substr(1), traceparent);  // "pkg.Svc/Method"
    c.set_span(h->span.context());
    if (h->span.recording()) {
      h->span.tag("rpc.system", "grpc");
      std::string peer = ctx.peer();  // "ipv4:127.0.0.1:54321"
      if (auto colon = peer.find(':'); colon != std::string::npos) peer.erase(0, colon + 1);
      h->span.set_remote(peer);
    }
  }
  return h;
}

void cancel_handler(const detail::CqExecutor& ex, const std::shared_ptr<HandlerState>& h) {
  asio::post(ex, [h] {
    if (h->finished) return;
    h->ctx.cancel();
    h->cancel.emit(asio::cancellation_type::terminal);
  });
}

Status handler_threw(Server::State& st, const Method& m, const HandlerState& h, const std::exception& e) {
  char trace_id[32];
  trace::write_trace_id_hex(h.ctx.span(), trace_id);
  st.log.error("handler threw", {{"method", *m.name},
                                 {"error", e.what()},
                                 {"request_id", h.ctx.request_id()},
                                 {"trace_id", std::string_view(trace_id, 32)}});
  return internal_error("internal error");
}

void end_span(HandlerState& h, const Status& status) {
  if (!h.span.recording()) return;
  h.span.tag("grpc.status_code", std::to_string(static_cast<int>(to_grpc(status).error_code())));
  h.span.end(status);
}

std::optional<Status> admit_call(Server::State& st) {
  // Beyond max_in_flight, shed at once rather than queue without bound.
  const auto limit = static_cast<std::size_t>(st.opts.max_in_flight);
  if (st.in_flight.fetch_add(1, std::memory_order_relaxed) < limit || limit == 0) return std::nullopt;
  st.shed.inc();
  return Status(StatusCode::Unavailable, "server overloaded: " + std::to_string(limit) + " calls in flight")
      .with_retry_after(std::chrono::milliseconds(1000));
}

namespace {

// One RPC, from the request for a new call until gRPC has reported both the end of Finish and the call's
// completion (AsyncNotifyWhenDone). Deletes itself then. Both tags arrive on the call's queue thread, and
// the handler runs there too (see cq_worker.hpp).
class Call final : public detail::Tag {
 public:
  Call(std::shared_ptr<Server::State> st, std::size_t queue, int method)
      : st_(std::move(st)), queue_(queue), method_(method) {
    ctx_.AsyncNotifyWhenDone(detail::handed_to_queue(&done_tag_));
    auto* cq = st_->queues[queue_].get();
    st_->service.request(method_, &ctx_, &request_, &responder_, cq, detail::handed_to_queue(this));
  }

  void done(bool ok) override {
    if (finishing_) {  // Finish completed
      release();
      return;
    }
    if (!ok) {  // the server is shutting down; a call that never started gets no done tag
      delete this;
      return;
    }
    {
      std::shared_lock lock(st_->closing_mu);
      if (!st_->closed) new Call(st_, queue_, method_);
    }
    if (auto refused = admit_call(*st_)) {
      finish(RawReply{*refused, {}});
      return;
    }
    dispatch();
  }

 private:
  // The AsyncNotifyWhenDone tag: the call is over. If it ended early (deadline, client cancelled), cancel
  // the handler if it is still running.
  struct DoneTag final : detail::Tag {
    Call* call;
    explicit DoneTag(Call* c) : call(c) {}
    void done(bool) override { call->on_call_done(); }
  };

  void on_call_done() {
    if (ctx_.IsCancelled() && handler_) cancel_handler(executor(), handler_);
    release();
  }

  void release() {
    if (pending_tags_.fetch_sub(1) == 1) delete this;
  }

  void dispatch() {
    handler_ = start_handler(st_->methods[static_cast<std::size_t>(method_)], ctx_);
    // The completion handler keeps the handler state (and so the cancellation signal the coroutine's slot
    // points at) and the server state (whose CqWorker the completion is dispatched through) alive until the
    // spawned coroutine has fully unwound: once run() has called finish(), this Call, and with it the last
    // other owner of the server state, may be gone before the completion is dispatched (ASan: a
    // use-after-free of the worker when a server was destroyed right after its last call).
    asio::co_spawn(executor(), run(handler_),
                   asio::bind_cancellation_slot(handler_->cancel.slot(),
                                                [keep = handler_, st = st_](std::exception_ptr) {}));
  }

  asio::awaitable<void> run(std::shared_ptr<HandlerState> h) {
    const Method& m = st_->methods[static_cast<std::size_t>(method_)];
    RawReply reply;
    try {
      reply = co_await m.handler(h->ctx, request_);
    } catch (const std::exception& e) {
      reply.status = handler_threw(*st_, m, *h, e);
    }
    end_span(*h, reply.status);
    h->finished = true;
    finish(reply);
  }

  void finish(const RawReply& reply) {
    st_->in_flight.fetch_sub(1, std::memory_order_relaxed);
    std::shared_lock lock(st_->closing_mu);
    if (st_->closed) {  // too late: the queue is gone and Shutdown cancelled the call; no Finish tag will come
      lock.unlock();
      release();  // (if the done tag never comes either, the call is left behind: the process is exiting)
      return;
    }
    finishing_ = true;
    if (reply.status.ok()) {
      responder_.Finish(reply.payload, ::grpc::Status::OK, detail::handed_to_queue(this));
      return;
    }
    if (auto after = reply.status.retry_after()) ctx_.AddTrailingMetadata(kPushbackTrailer, std::to_string(after->count()));
    responder_.FinishWithError(to_grpc(reply.status), detail::handed_to_queue(this));
  }

  detail::CqExecutor executor() const { return detail::CqExecutor(st_->workers[queue_].get()); }

  std::shared_ptr<Server::State> st_;
  std::size_t queue_;
  int method_;
  ::grpc::ServerContext ctx_;
  ::grpc::ByteBuffer request_;
  ::grpc::ServerAsyncResponseWriter<::grpc::ByteBuffer> responder_{&ctx_};
  bool finishing_ = false;
  DoneTag done_tag_{this};
  std::atomic<int> pending_tags_{2};  // Finish and NotifyWhenDone (the closed path releases from an io thread)
  std::shared_ptr<HandlerState> handler_;
};

}  // namespace

// One grpc.health.v1 Watch stream: writes the status when it starts and whenever it changes, until the
// client goes away or the server shuts down. Lives on its queue's poller thread; deletes itself once gRPC
// holds none of its tags.
class WatchCall final : public detail::Tag {
 public:
  WatchCall(std::shared_ptr<Server::State> st, std::size_t queue) : st_(std::move(st)), queue_(queue) {
    ctx_.AsyncNotifyWhenDone(detail::handed_to_queue(&done_tag_));
    st_->service.request_stream(st_->watch_method, &ctx_, &request_, &writer_, st_->queues[queue_].get(),
                               detail::handed_to_queue(this));
  }

  void done(bool ok) override {  // the call arrived (or the server is shutting down: ok false)
    if (!ok) {
      delete this;  // never started: no done tag will come
      return;
    }
    {
      std::shared_lock lock(st_->closing_mu);
      if (!st_->closed) new WatchCall(st_, queue_);
    }
    auto name = detail::health_wire::parse_request(request_);
    if (!name) {
      finish(::grpc::Status(::grpc::StatusCode::INVALID_ARGUMENT, "not a grpc.health.v1.HealthCheckRequest"));
      return;
    }
    // Each Watch stream holds memory until its client leaves: a bounded number of them, like calls.
    if (st_->watch_streams.fetch_add(1) >= st_->opts.max_watch_streams) {
      st_->watch_streams.fetch_sub(1);
      st_->shed.inc();
      finish(::grpc::Status(::grpc::StatusCode::RESOURCE_EXHAUSTED,
                            "too many health Watch streams: " + std::to_string(st_->opts.max_watch_streams) + " open"));
      return;
    }
    counted_ = true;
    name_ = std::move(*name);
    st_->watchers[queue_].insert(this);
    changed();
  }

  /// The status may have changed: write it (after the write in progress, if any).
  void changed() {
    if (finishing_) return;
    if (writing_) {
      rewrite_ = true;
      return;
    }
    const auto status = st_->health.get(name_);
    if (status == last_) return;  // Watch sends changes only
    std::shared_lock lock(st_->closing_mu);
    if (st_->closed) return;  // no operation on a queue that is shutting down (see Server::State)
    last_ = status;
    writing_ = true;
    writer_.Write(detail::health_wire::response(status), detail::handed_to_queue(&write_tag_));
  }

  void finish(::grpc::Status status) {
    if (finishing_) return;
    finishing_ = true;
    final_ = std::move(status);
    if (!writing_) start_finish();  // else once the write completes
  }

 private:
  struct Step final : detail::Tag {
    WatchCall* call;
    void (WatchCall::*on)(bool);
    Step(WatchCall* c, void (WatchCall::*f)(bool)) : call(c), on(f) {}
    void done(bool ok) override { (call->*on)(ok); }
  };

  void on_written(bool ok) {
    writing_ = false;
    if (!ok) {  // the client went away; the done tag follows
      if (finishing_ && !finish_started_) start_finish();
      maybe_delete();
      return;
    }
    if (finishing_) {
      start_finish();
      maybe_delete();  // the call may be over already (its done tag came first) and nothing more pending
      return;
    }
    if (rewrite_) {
      rewrite_ = false;
      changed();
    }
  }
  void start_finish() {
    finish_started_ = true;
    std::shared_lock lock(st_->closing_mu);
    if (st_->closed) return;  // Shutdown cancels the call; its done tag still comes
    finish_pending_ = true;
    writer_.Finish(final_, detail::handed_to_queue(&finish_tag_));
  }
  void on_finished(bool) {
    finish_pending_ = false;
    maybe_delete();
  }
  void on_call_done(bool) {
    call_done_ = true;
    st_->watchers[queue_].erase(this);
    if (counted_) st_->watch_streams.fetch_sub(1);
    counted_ = false;
    finishing_ = true;  // nothing more to write
    maybe_delete();
  }
  void maybe_delete() {
    if (call_done_ && !writing_ && !finish_pending_) delete this;
  }

  std::shared_ptr<Server::State> st_;
  std::size_t queue_;
  ::grpc::ServerContext ctx_;
  ::grpc::ByteBuffer request_;
  ::grpc::ServerAsyncWriter<::grpc::ByteBuffer> writer_{&ctx_};
  std::string name_;
  int last_ = -1;
  bool writing_ = false, rewrite_ = false, finishing_ = false, finish_started_ = false, finish_pending_ = false,
       call_done_ = false, counted_ = false;
  ::grpc::Status final_;
  Step write_tag_{this, &WatchCall::on_written};
  Step finish_tag_{this, &WatchCall::on_finished};
  Step done_tag_{this, &WatchCall::on_call_done};
};

void Server::State::request_watch(std::size_t queue) { new WatchCall(shared_from_this(), queue); }

void Server::State::update_watchers(std::size_t queue, bool end) {
  // Copied: finishing a stream may remove it from the set.
  std::vector<WatchCall*> calls(watchers[queue].begin(), watchers[queue].end());
  for (auto* w : calls) {
    if (end) w->finish(::grpc::Status::OK);
    else w->changed();
  }
}

void Server::State::request_call(std::size_t queue, int method) {
  new Call(shared_from_this(), queue, method);
}

Server::Server(IoPool& io, ServerOptions opts) : state_(std::make_shared<State>(io)) {
  detail::init_runtime();
  state_->opts = std::move(opts);
  const auto& o = state_->opts;
  if (o.own_wire) {
    state_->wire = std::make_unique<WireServer>(io, WireServerOptions{.address = o.address,
                                                                      .max_message_bytes = static_cast<std::size_t>(o.max_message_bytes),
                                                                      .max_in_flight = o.max_in_flight,
                                                                      .max_concurrent_streams = o.max_concurrent_streams,
                                                                      .max_connections = o.max_connections,
                                                                      .preface_timeout = o.preface_timeout,
                                                                      .idle_timeout = o.idle_timeout,
                                                                      .max_watch_streams = o.max_watch_streams,
                                                                      .tls = o.tls});
  }
}

bool Server::own_wire() const { return state_->wire != nullptr; }

void Server::add_wire(std::string full_method, WireHandler handler) {
  if (!state_->wire) throw std::logic_error("grpc::Server::add_wire without own_wire: " + full_method);
  state_->wire->add_raw(std::move(full_method), std::move(handler));
}

Server::~Server() = default;

namespace {
void add_method(Server::State& st, Method m,
                ::grpc::internal::RpcMethod::RpcType type = ::grpc::internal::RpcMethod::NORMAL_RPC) {
  if (st.server) throw std::logic_error("grpc::Server::add after start: " + *m.name);
  for (const auto& other : st.methods)
    if (*other.name == *m.name) throw std::invalid_argument("grpc method added twice: " + *m.name);
  const int index = st.service.add(m.name->c_str(), type);
  assert(index == static_cast<int>(st.methods.size()));
  (void)index;
  st.methods.push_back(std::move(m));
}
}  // namespace

void Server::add_raw(std::string full_method, RawHandler handler) {
  auto& st = *state_;
  if (st.wire) {  // a raw method on the own wire: its bytes through a gRPC byte buffer each way
    st.wire->add_raw(std::move(full_method), [handler](const Context& ctx, std::string_view in) -> asio::awaitable<WireReply> {
      ::grpc::Slice slice(in.data(), in.size());
      ::grpc::ByteBuffer request(&slice, 1);
      RawReply r = co_await handler(ctx, request);
      ::grpc::Slice out;
      if (r.status.ok() && !r.payload.DumpToSingleSlice(&out).ok()) co_return WireReply{internal_error("cannot read the reply"), {}};
      co_return WireReply{r.status, r.status.ok() ? std::string(reinterpret_cast<const char*>(out.begin()), out.size()) : std::string()};
    });
    return;
  }
  add_method(st, Method{std::make_unique<std::string>(std::move(full_method)), std::move(handler), nullptr});
}

void Server::add_raw_stream(std::string full_method, RawStreamHandler handler) {
  auto& st = *state_;
  if (st.wire) {  // on the own wire: each message through a gRPC byte buffer
    st.wire->add_server_stream(std::move(full_method), [handler](const Context& ctx, std::string_view in,
                                                                 WireStreamWriter& out) -> asio::awaitable<Status> {
      struct Copying final : RawStreamWriter {
        explicit Copying(WireStreamWriter& out) : out(out) {}
        asio::awaitable<bool> write(::grpc::ByteBuffer message) override {
          ::grpc::Slice slice;
          if (!message.DumpToSingleSlice(&slice).ok()) co_return false;
          co_return co_await out.write(std::string(reinterpret_cast<const char*>(slice.begin()), slice.size()));
        }
        WireStreamWriter& out;
      } copying(out);
      ::grpc::Slice slice(in.data(), in.size());
      ::grpc::ByteBuffer request(&slice, 1);
      co_return co_await handler(ctx, request, copying);
    });
    return;
  }
  add_method(st, Method{std::make_unique<std::string>(std::move(full_method)), nullptr, std::move(handler)},
             ::grpc::internal::RpcMethod::SERVER_STREAMING);
}

void Server::add_wire_stream(std::string full_method, WireStreamHandler handler) {
  if (!state_->wire) throw std::logic_error("grpc::Server::add_wire_stream without own_wire: " + full_method);
  state_->wire->add_server_stream(std::move(full_method), std::move(handler));
}

std::uint16_t Server::port() const { return state_->wire ? state_->wire->port() : state_->port.load(); }

std::size_t Server::in_flight() const { return state_->wire ? state_->wire->in_flight() : state_->in_flight.load(); }

void Server::set_serving(bool serving) {
  auto& st = *state_;
  if (st.wire) return st.wire->set_serving(serving);
  if (!st.server) return;
  st.health.set_all(serving);
  std::shared_lock lock(st.closing_mu);
  if (st.closed) return;
  for (std::size_t q = 0; q < st.workers.size(); ++q)
    st.workers[q]->post([s = state_, q] { s->update_watchers(q, false); });
}

std::string Server::address() const { return bound_address(state_->opts.address, port()); }

std::string Server::describe() const {
  if (state_->wire) return state_->wire->describe();
  auto [host, _] = split_host_port(state_->opts.address);
  return "grpc " + join_host_port(host, state_->port) + (state_->opts.tls ? " (TLS)" : "");
}

namespace {
// TLS from svckit::tls credentials (mTLS when they carry client CAs), or plaintext.
std::shared_ptr<::grpc::ServerCredentials> credentials(const tls::Credentials* creds) {
  if (!creds) return ::grpc::InsecureServerCredentials();
  ::grpc::SslServerCredentialsOptions ssl(creds->require_client_cert
                                              ? GRPC_SSL_REQUEST_AND_REQUIRE_CLIENT_CERTIFICATE_AND_VERIFY
                                              : GRPC_SSL_DONT_REQUEST_CLIENT_CERTIFICATE);
  ssl.pem_key_cert_pairs.push_back({creds->key_pem, creds->cert_pem});
  ssl.pem_root_certs = creds->ca_pem;
  return ::grpc::SslServerCredentials(ssl);
}
}  // namespace

void Server::start() {
  auto& st = *state_;
  if (st.wire) {
    st.wire->start();
    return;
  }
  auto [host, port] = split_host_port(st.opts.address);
  // grpc.health.v1.Health (health.hpp): Check as a unary method like any other, Watch as a stream.
  std::vector<std::string> services{""};
  for (const auto& m : st.methods) services.push_back(m.name->substr(1, m.name->rfind('/') - 1));  // "/pkg.Svc/M"
  for (const auto& name : services) st.health.declare(name);
  add_raw(kHealthCheck, [state = state_.get()](const Context&, const ::grpc::ByteBuffer& in) -> asio::awaitable<RawReply> {
    auto name = detail::health_wire::parse_request(in);
    if (!name) co_return RawReply{invalid_argument("not a grpc.health.v1.HealthCheckRequest"), {}};
    const auto status = state->health.get(*name);
    if (status == detail::health_wire::kServiceUnknown) co_return RawReply{not_found("unknown service: " + *name), {}};
    co_return RawReply{Status(), detail::health_wire::response(status)};
  });
  st.methods.back().traced = false;
  st.watch_method = st.service.add(kHealthWatch, ::grpc::internal::RpcMethod::SERVER_STREAMING);
  st.methods.push_back(Method{std::make_unique<std::string>(kHealthWatch), nullptr, nullptr});

  ::grpc::ServerBuilder builder;
  int bound = 0;
  builder.AddListeningPort(join_host_port(host, port), credentials(st.opts.tls.get()), &bound);  // [v6]:port
  builder.RegisterService(&st.service);
  builder.SetMaxReceiveMessageSize(st.opts.max_message_bytes);
  builder.SetMaxSendMessageSize(st.opts.max_message_bytes);
  // HTTP/2 SETTINGS_MAX_CONCURRENT_STREAMS: a client opening more waits for a free stream (gRPC queues it).
  if (st.opts.max_concurrent_streams > 0)
    builder.AddChannelArgument(GRPC_ARG_MAX_CONCURRENT_STREAMS, st.opts.max_concurrent_streams);
  for (int i = 0; i < std::max(1, st.opts.cq_threads); ++i) st.queues.push_back(builder.AddCompletionQueue());
  st.server = builder.BuildAndStart();
  if (!st.server || bound == 0) throw std::runtime_error("grpc: cannot listen on " + st.opts.address);
  st.port = static_cast<std::uint16_t>(bound);
  st.watchers.resize(st.queues.size());
  for (std::size_t q = 0; q < st.queues.size(); ++q)
    st.workers.push_back(std::make_unique<detail::CqWorker>(st.queues[q].get(), st.io.context(q % st.io.size())));
  for (std::size_t q = 0; q < st.queues.size(); ++q) {
    for (int m = 0; m < static_cast<int>(st.methods.size()); ++m)
      if (m != st.watch_method)
        for (int i = 0; i < kPendingCallsPerMethod; ++i) {
          if (st.methods[static_cast<std::size_t>(m)].stream) st.request_stream_call(q, m);
          else st.request_call(q, m);
        }
    st.request_watch(q);
    st.pollers.emplace_back([w = st.workers[q].get(), name = "grpc-cq-" + std::to_string(q)] {
      pthread_setname_np(pthread_self(), name.c_str());
      w->run();
    });
  }
}

void Server::shutdown(std::chrono::steady_clock::time_point deadline) {
  if (state_->wire) {
    state_->wire->shutdown(deadline);
    return;
  }
  auto& st = *state_;
  if (!st.server) return;
  // Health Watch streams are told NOT_SERVING and end, so that Shutdown does not wait for them.
  st.health.set_all(false);
  for (std::size_t q = 0; q < st.workers.size(); ++q)
    st.workers[q]->post([s = state_, q] { s->update_watchers(q, true); });
  // Shutdown stops accepting, waits for in-flight calls until the deadline, then cancels the rest.
  auto left = deadline - std::chrono::steady_clock::now();
  st.server->Shutdown(std::chrono::system_clock::now() +
                      std::chrono::duration_cast<std::chrono::system_clock::duration>(left));
  {
    std::unique_lock lock(st.closing_mu);
    st.closed = true;
  }
  for (auto& w : st.workers) w->close();  // handlers still running finish on the io pool
  for (auto& q : st.queues) q->Shutdown();
  for (auto& t : st.pollers) t.join();
  st.pollers.clear();
}

}  // namespace svckit::grpc
