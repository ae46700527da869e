#include "svckit/transport/grpc/server.hpp"

#include <pthread.h>

#include <atomic>
#include <shared_mutex>
#include <cassert>
#include <thread>
#include <vector>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/bind_cancellation_slot.hpp>
#include <boost/asio/cancellation_signal.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/post.hpp>
#include <grpcpp/impl/rpc_service_method.h>
#include <grpcpp/impl/service_type.h>
#include <grpcpp/support/async_unary_call.h>
#include <grpcpp/server.h>
#include <grpcpp/server_builder.h>
#include <grpcpp/health_check_service_interface.h>

#include "cq_worker.hpp"
#include "runtime.hpp"
#include "svckit/address.hpp"
#include "svckit/log.hpp"
#include "svckit/metrics/registry.hpp"
#include "svckit/transport/grpc/status.hpp"

namespace svckit::grpc {

namespace asio = boost::asio;

// Calls requested in advance per method and completion queue, so a burst of new calls does not wait for
// re-arming.
constexpr int kPendingCallsPerMethod = 16;
// The trailer gRPC defines for server pushback: the client should wait this many milliseconds.
constexpr const char* kPushbackTrailer = "grpc-retry-pushback-ms";

// Methods are registered with gRPC by name as "raw" asynchronous unary methods: the request arrives as
// bytes together with the call (no separate Read, unlike the generic API), and gRPC itself answers
// UNIMPLEMENTED for names that are not registered.
class RawService final : public ::grpc::Service {
 public:
  int add(const char* full_method) {
    AddMethod(new ::grpc::internal::RpcServiceMethod(full_method, ::grpc::internal::RpcMethod::NORMAL_RPC, nullptr));
    const int index = count_++;
    MarkMethodRaw(index);
    return index;
  }
  void request(int index, ::grpc::ServerContext* ctx, ::grpc::ByteBuffer* request,
               ::grpc::ServerAsyncResponseWriter<::grpc::ByteBuffer>* responder, ::grpc::ServerCompletionQueue* cq,
               void* tag) {
    RequestAsyncUnary(index, ctx, request, responder, cq, cq, tag);
  }

 private:
  int count_ = 0;
};

struct Method {
  std::unique_ptr<std::string> name;  // gRPC keeps a pointer to the characters
  RawHandler handler;
};

struct Server::State : std::enable_shared_from_this<Server::State> {
  explicit State(IoPool& pool) : io(pool) {}

  IoPool& io;
  ServerOptions opts;
  RawService service;
  std::vector<Method> methods;  // index = the method's index in service
  std::unique_ptr<::grpc::Server> server;
  std::vector<std::unique_ptr<::grpc::ServerCompletionQueue>> queues;
  std::vector<std::unique_ptr<detail::CqWorker>> workers;  // one per queue, same index
  std::vector<std::thread> pollers;
  std::uint16_t port = 0;
  // Held shared while a handler hands its reply to gRPC, unique while the queues are shut down: no
  // operation is ever started on a queue that is shutting down.
  std::shared_mutex closing_mu;
  bool closed = false;
  std::atomic<std::size_t> in_flight{0};  // calls received and not yet finished
  metrics::Counter& shed = metrics::default_registry()
                               .counter("svckit_requests_shed_total", "Requests refused by admission control (max_in_flight), by transport.",
                                        {"transport"})
                               .with({"grpc"});
  log::Logger log{"grpc"};

  void request_call(std::size_t queue, int method);
};

namespace {

std::optional<Context::Clock::time_point> to_steady(std::chrono::system_clock::time_point t) {
  auto left = t - std::chrono::system_clock::now();
  if (left > std::chrono::hours(24 * 365)) return std::nullopt;  // gRPC's "infinite" deadline
  return Context::Clock::now() + std::chrono::duration_cast<Context::Clock::duration>(left);
}

// What the handler coroutine and the cancellation path share; lives as long as either needs it. Touched
// only on the handler's io thread once the handler has started.
struct HandlerState {
  Context ctx;
  asio::cancellation_signal cancel;
  bool finished = false;
};

// One RPC, from the request for a new call until gRPC has reported both the end of Finish and the call's
// completion (AsyncNotifyWhenDone). Deletes itself then. Both tags arrive on the call's queue thread, and
// the handler runs there too (see cq_worker.hpp).
class Call final : public detail::Tag {
 public:
  Call(std::shared_ptr<Server::State> st, std::size_t queue, int method)
      : st_(std::move(st)), queue_(queue), method_(method) {
    ctx_.AsyncNotifyWhenDone(&done_tag_);
    auto* cq = st_->queues[queue_].get();
    st_->service.request(method_, &ctx_, &request_, &responder_, cq, this);
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
    // Admission control: beyond max_in_flight, shed at once rather than queue without bound.
    const auto limit = static_cast<std::size_t>(st_->opts.max_in_flight);
    if (st_->in_flight.fetch_add(1, std::memory_order_relaxed) >= limit && limit > 0) {
      st_->shed.inc();
      RawReply shed{Status(StatusCode::Unavailable, "server overloaded: " + std::to_string(limit) + " calls in flight")
                        .with_retry_after(std::chrono::milliseconds(1000)),
                    {}};
      finish(shed);
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
    if (ctx_.IsCancelled() && handler_) {
      asio::post(executor(), [h = handler_] {
        if (h->finished) return;
        h->ctx.cancel();
        h->cancel.emit(asio::cancellation_type::terminal);
      });
    }
    release();
  }

  void release() {
    if (pending_tags_.fetch_sub(1) == 1) delete this;
  }

  void dispatch() {
    handler_ = std::make_shared<HandlerState>();
    Context& c = handler_->ctx;
    if (auto d = to_steady(ctx_.deadline())) c.set_deadline(*d);
    for (const auto& [k, v] : ctx_.client_metadata()) {
      std::string_view key(k.data(), k.size());
      // gRPC's own headers (grpc-*, user-agent) describe the transport, not the request.
      if (key.starts_with("grpc-") || key == "user-agent") continue;
      if (key == "x-request-id") c.set_request_id(std::string(v.data(), v.size()));
      c.add_metadata(std::string(key), std::string(v.data(), v.size()));
    }
    if (c.request_id().empty()) c.set_request_id(new_request_id());
    // The completion handler keeps the state (and so the cancellation signal the coroutine's slot points
    // at) alive until the spawned coroutine has fully unwound.
    asio::co_spawn(executor(), run(handler_),
                   asio::bind_cancellation_slot(handler_->cancel.slot(), [keep = handler_](std::exception_ptr) {}));
  }

  asio::awaitable<void> run(std::shared_ptr<HandlerState> h) {
    const Method& m = st_->methods[static_cast<std::size_t>(method_)];
    RawReply reply;
    try {
      reply = co_await m.handler(h->ctx, request_);
    } catch (const std::exception& e) {
      st_->log.error("handler threw", {{"method", *m.name}, {"error", e.what()}});
      reply.status = internal_error("internal error");
    }
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
      responder_.Finish(reply.payload, ::grpc::Status::OK, this);
      return;
    }
    if (auto after = reply.status.retry_after()) ctx_.AddTrailingMetadata(kPushbackTrailer, std::to_string(after->count()));
    responder_.FinishWithError(to_grpc(reply.status), this);
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

void Server::State::request_call(std::size_t queue, int method) {
  new Call(shared_from_this(), queue, method);
}

Server::Server(IoPool& io, ServerOptions opts) : state_(std::make_shared<State>(io)) {
  detail::init_runtime();
  state_->opts = std::move(opts);
}

Server::~Server() = default;

void Server::add_raw(std::string full_method, RawHandler handler) {
  auto& st = *state_;
  if (st.server) throw std::logic_error("grpc::Server::add after start: " + full_method);
  for (const auto& m : st.methods)
    if (*m.name == full_method) throw std::invalid_argument("grpc method added twice: " + full_method);
  Method m{std::make_unique<std::string>(std::move(full_method)), std::move(handler)};
  const int index = st.service.add(m.name->c_str());
  assert(index == static_cast<int>(st.methods.size()));
  (void)index;
  st.methods.push_back(std::move(m));
}

std::uint16_t Server::port() const { return state_->port; }

std::size_t Server::in_flight() const { return state_->in_flight.load(); }

void Server::set_serving(bool serving) {
  if (!state_->server) return;
  if (auto* health = state_->server->GetHealthCheckService()) health->SetServingStatus(serving);
}

std::string Server::describe() const {
  auto [host, _] = split_host_port(state_->opts.address);
  return "grpc " + host + ":" + std::to_string(state_->port);
}

void Server::start() {
  auto& st = *state_;
  auto [host, port] = split_host_port(st.opts.address);
  // gRPC's own grpc.health.v1.Health (Check and Watch), driven by the runner's readiness (set_serving).
  ::grpc::EnableDefaultHealthCheckService(true);
  ::grpc::ServerBuilder builder;
  int bound = 0;
  builder.AddListeningPort(host + ":" + std::to_string(port), ::grpc::InsecureServerCredentials(), &bound);
  builder.RegisterService(&st.service);
  builder.SetMaxReceiveMessageSize(st.opts.max_message_bytes);
  builder.SetMaxSendMessageSize(st.opts.max_message_bytes);
  for (int i = 0; i < std::max(1, st.opts.cq_threads); ++i) st.queues.push_back(builder.AddCompletionQueue());
  st.server = builder.BuildAndStart();
  if (!st.server || bound == 0) throw std::runtime_error("grpc: cannot listen on " + st.opts.address);
  st.port = static_cast<std::uint16_t>(bound);
  // Health answers for the whole server ("") and for each service by name; NOT_SERVING until ready.
  if (auto* health = st.server->GetHealthCheckService()) {
    health->SetServingStatus("", false);
    for (const auto& m : st.methods) {
      const auto& name = *m.name;  // "/pkg.Service/Method"
      health->SetServingStatus(name.substr(1, name.rfind('/') - 1), false);
    }
  }
  for (std::size_t q = 0; q < st.queues.size(); ++q)
    st.workers.push_back(std::make_unique<detail::CqWorker>(st.queues[q].get(), st.io.context(q % st.io.size())));
  for (std::size_t q = 0; q < st.queues.size(); ++q) {
    for (int m = 0; m < static_cast<int>(st.methods.size()); ++m)
      for (int i = 0; i < kPendingCallsPerMethod; ++i) st.request_call(q, m);
    st.pollers.emplace_back([w = st.workers[q].get(), name = "grpc-cq-" + std::to_string(q)] {
      pthread_setname_np(pthread_self(), name.c_str());
      w->run();
    });
  }
}

void Server::shutdown(std::chrono::steady_clock::time_point deadline) {
  auto& st = *state_;
  if (!st.server) return;
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
