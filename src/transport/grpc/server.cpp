#include "svckit/transport/grpc/server.hpp"

#include <atomic>
#include <shared_mutex>
#include <thread>
#include <unordered_map>
#include <vector>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <grpcpp/generic/async_generic_service.h>
#include <grpcpp/server.h>
#include <grpcpp/server_builder.h>

#include "runtime.hpp"
#include "svckit/address.hpp"
#include "svckit/log.hpp"
#include "svckit/transport/grpc/status.hpp"

namespace svckit::grpc {

namespace asio = boost::asio;

// Calls requested in advance per completion queue, so a burst of new calls does not wait for re-arming.
constexpr int kPendingCallsPerQueue = 32;

struct Server::State : std::enable_shared_from_this<Server::State> {
  explicit State(IoPool& pool) : io(pool) {}

  IoPool& io;
  ServerOptions opts;
  std::unordered_map<std::string, RawHandler> handlers;
  ::grpc::AsyncGenericService service;
  std::unique_ptr<::grpc::Server> server;
  std::vector<std::unique_ptr<::grpc::ServerCompletionQueue>> queues;
  std::vector<std::thread> pollers;
  std::uint16_t port = 0;
  // Held shared while a handler hands its reply to gRPC, unique while the queues are shut down: no
  // operation is ever started on a queue that is shutting down.
  std::shared_mutex closing_mu;
  bool closed = false;
  log::Logger log{"grpc"};

  void request_call(::grpc::ServerCompletionQueue* cq);
};

namespace {

std::optional<Context::Clock::time_point> to_steady(std::chrono::system_clock::time_point t) {
  auto left = t - std::chrono::system_clock::now();
  if (left > std::chrono::hours(24 * 365)) return std::nullopt;  // gRPC's "infinite" deadline
  return Context::Clock::now() + std::chrono::duration_cast<Context::Clock::duration>(left);
}

// One RPC, from the request for a new call to the completion of Finish. Deletes itself at the end.
class Call final : public detail::Tag {
 public:
  Call(std::shared_ptr<Server::State> st, ::grpc::ServerCompletionQueue* cq) : st_(std::move(st)), cq_(cq) {
    st_->service.RequestCall(&ctx_, &stream_, cq_, cq_, this);
  }

  void done(bool ok) override {
    switch (phase_) {
      case Phase::WaitCall:
        if (!ok) {  // the server is shutting down
          delete this;
          return;
        }
        {
          std::shared_lock lock(st_->closing_mu);
          if (!st_->closed) new Call(st_, cq_);
        }
        phase_ = Phase::Read;
        stream_.Read(&request_, this);
        return;
      case Phase::Read:
        if (!ok) {  // the client went away before sending its request
          finish(Status(StatusCode::Cancelled, "no request received"), nullptr);
          return;
        }
        dispatch();
        return;
      case Phase::Finish:
        delete this;
        return;
    }
  }

 private:
  enum class Phase { WaitCall, Read, Finish };

  void dispatch() {
    auto it = st_->handlers.find(ctx_.method());
    if (it == st_->handlers.end()) {
      finish(unimplemented("unknown method " + ctx_.method()), nullptr);
      return;
    }
    Context c;
    if (auto d = to_steady(ctx_.deadline())) c.set_deadline(*d);
    for (const auto& [k, v] : ctx_.client_metadata()) {
      std::string key(k.data(), k.size());
      std::string value(v.data(), v.size());
      if (key == "x-request-id") c.set_request_id(value);
      c.add_metadata(std::move(key), std::move(value));
    }
    if (c.request_id().empty()) c.set_request_id(new_request_id());
    asio::co_spawn(st_->io.next(), run(it->second, std::move(c)), asio::detached);
  }

  asio::awaitable<void> run(const RawHandler& handler, Context c) {
    RawReply reply;
    try {
      reply = co_await handler(c, request_);
    } catch (const std::exception& e) {
      st_->log.error("handler threw", {{"method", ctx_.method()}, {"error", e.what()}});
      reply.status = internal_error("internal error");
    }
    finish(reply.status, reply.status.ok() ? &reply.payload : nullptr);
  }

  void finish(const Status& status, ::grpc::ByteBuffer* payload) {
    std::shared_lock lock(st_->closing_mu);
    if (st_->closed) {  // too late: the queue is gone; the call was cancelled by Shutdown
      lock.unlock();
      delete this;
      return;
    }
    phase_ = Phase::Finish;
    if (payload) stream_.WriteAndFinish(*payload, ::grpc::WriteOptions(), ::grpc::Status::OK, this);
    else stream_.Finish(to_grpc(status), this);
  }

  std::shared_ptr<Server::State> st_;
  ::grpc::ServerCompletionQueue* cq_;
  ::grpc::GenericServerContext ctx_;
  ::grpc::GenericServerAsyncReaderWriter stream_{&ctx_};
  ::grpc::ByteBuffer request_;
  Phase phase_ = Phase::WaitCall;
};

}  // namespace

void Server::State::request_call(::grpc::ServerCompletionQueue* cq) { new Call(shared_from_this(), cq); }

Server::Server(IoPool& io, ServerOptions opts) : state_(std::make_shared<State>(io)) {
  detail::init_runtime();
  state_->opts = std::move(opts);
}

Server::~Server() = default;

void Server::add_raw(std::string full_method, RawHandler handler) {
  state_->handlers[std::move(full_method)] = std::move(handler);
}

std::uint16_t Server::port() const { return state_->port; }

std::string Server::describe() const {
  auto [host, _] = split_host_port(state_->opts.address);
  return "grpc " + host + ":" + std::to_string(state_->port);
}

void Server::start() {
  auto& st = *state_;
  auto [host, port] = split_host_port(st.opts.address);
  ::grpc::ServerBuilder builder;
  int bound = 0;
  builder.AddListeningPort(host + ":" + std::to_string(port), ::grpc::InsecureServerCredentials(), &bound);
  builder.RegisterAsyncGenericService(&st.service);
  builder.SetMaxReceiveMessageSize(st.opts.max_message_bytes);
  builder.SetMaxSendMessageSize(st.opts.max_message_bytes);
  for (int i = 0; i < std::max(1, st.opts.cq_threads); ++i) st.queues.push_back(builder.AddCompletionQueue());
  st.server = builder.BuildAndStart();
  if (!st.server || bound == 0) throw std::runtime_error("grpc: cannot listen on " + st.opts.address);
  st.port = static_cast<std::uint16_t>(bound);
  for (auto& q : st.queues) {
    for (int i = 0; i < kPendingCallsPerQueue; ++i) st.request_call(q.get());
    st.pollers.emplace_back([cq = q.get()] {
      void* tag = nullptr;
      bool ok = false;
      while (cq->Next(&tag, &ok)) static_cast<detail::Tag*>(tag)->done(ok);
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
  for (auto& q : st.queues) q->Shutdown();
  for (auto& t : st.pollers) t.join();
  st.pollers.clear();
}

}  // namespace svckit::grpc
