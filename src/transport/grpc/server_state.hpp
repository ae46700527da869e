// Private to the gRPC transport: the grpc++ server's shared state, and what its unary calls
// (server.cpp) and server-streaming calls (server_stream_call.cpp) share.
#pragma once

#include <atomic>
#include <memory>
#include <optional>
#include <set>
#include <shared_mutex>
#include <string>
#include <thread>
#include <vector>

#include <boost/asio/cancellation_signal.hpp>
#include <grpcpp/impl/rpc_service_method.h>
#include <grpcpp/impl/service_type.h>
#include <grpcpp/server.h>
#include <grpcpp/support/async_stream.h>
#include <grpcpp/support/async_unary_call.h>

#include "cq_worker.hpp"
#include "health.hpp"
#include "svckit/log.hpp"
#include "svckit/metrics/registry.hpp"
#include "svckit/trace/span.hpp"
#include "svckit/transport/grpc/server.hpp"

namespace svckit::grpc {

// Calls requested in advance per method and completion queue, so a burst of new calls does not wait for
// re-arming.
constexpr int kPendingCallsPerMethod = 16;
// The trailer gRPC defines for server pushback: the client should wait this many milliseconds.
constexpr const char* kPushbackTrailer = "grpc-retry-pushback-ms";

// Methods are registered with gRPC by name as "raw" asynchronous unary or server-streaming methods: the
// request arrives as bytes together with the call (no separate Read, unlike the generic API), and gRPC
// itself answers UNIMPLEMENTED for names that are not registered.
class RawService final : public ::grpc::Service {
 public:
  int add(const char* full_method,
          ::grpc::internal::RpcMethod::RpcType type = ::grpc::internal::RpcMethod::NORMAL_RPC) {
    AddMethod(new ::grpc::internal::RpcServiceMethod(full_method, type, nullptr));
    const int index = count_++;
    MarkMethodRaw(index);
    return index;
  }
  void request(int index, ::grpc::ServerContext* ctx, ::grpc::ByteBuffer* request,
               ::grpc::ServerAsyncResponseWriter<::grpc::ByteBuffer>* responder, ::grpc::ServerCompletionQueue* cq,
               void* tag) {
    RequestAsyncUnary(index, ctx, request, responder, cq, cq, tag);
  }
  void request_stream(int index, ::grpc::ServerContext* ctx, ::grpc::ByteBuffer* request,
                      ::grpc::ServerAsyncWriter<::grpc::ByteBuffer>* writer, ::grpc::ServerCompletionQueue* cq, void* tag) {
    RequestAsyncServerStreaming(index, ctx, request, writer, cq, cq, tag);
  }

 private:
  int count_ = 0;
};

struct Method {
  std::unique_ptr<std::string> name;  // gRPC keeps a pointer to the characters
  RawHandler handler;                  // a unary method's
  RawStreamHandler stream;             // a server-streaming method's (both empty: the health Watch stream)
  bool traced = true;                  // a SERVER span per call (not for health checks: pollers would flood traces)
};

class WatchCall;
constexpr const char* kHealthCheck = "/grpc.health.v1.Health/Check";
constexpr const char* kHealthWatch = "/grpc.health.v1.Health/Watch";

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
  std::atomic<std::uint16_t> port{0};  // written by start() on the runner's thread, read by port() anywhere
  // Held shared while a handler hands its reply to gRPC, unique while the queues are shut down: no
  // operation is ever started on a queue that is shutting down.
  std::shared_mutex closing_mu;
  bool closed = false;
  std::atomic<std::size_t> in_flight{0};  // calls received and not yet finished
  std::atomic<int> watch_streams{0};      // health Watch streams open (bounded by max_watch_streams)
  metrics::Counter& shed = metrics::default_registry()
                               .counter("svckit_requests_shed_total", "Requests refused by admission control (max_in_flight), by transport.",
                                        {"transport"})
                               .with({"grpc"});
  log::Logger log{"grpc"};
  // grpc.health.v1 (health.hpp): the status, the Watch method's index, and the open Watch streams per
  // queue (each set touched only by that queue's poller thread).
  detail::HealthStatus health;
  int watch_method = -1;
  std::vector<std::set<WatchCall*>> watchers;
  // opts.own_wire: the server that serves instead of gRPC's (every member below delegates to it).
  std::unique_ptr<WireServer> wire;

  void request_call(std::size_t queue, int method);
  void request_stream_call(std::size_t queue, int method);  // server_stream_call.cpp
  void request_watch(std::size_t queue);
  /// On queue's poller thread: every Watch stream there writes the current status, or ends if `end`.
  void update_watchers(std::size_t queue, bool end);
};

// What the handler coroutine and the cancellation path share; lives as long as either needs it. Touched
// only on the handler's io thread once the handler has started.
struct HandlerState {
  Context ctx;
  trace::Span span;
  boost::asio::cancellation_signal cancel;
  bool finished = false;
};

/// For a call that arrived on ctx: its handler's Context (deadline, metadata, request id) and, if the
/// method is traced, its SERVER span.
std::shared_ptr<HandlerState> start_handler(const Method& m, ::grpc::ServerContext& ctx);
/// The call ended early (deadline, client cancelled): cancels its handler if it is still running, on ex.
void cancel_handler(const detail::CqExecutor& ex, const std::shared_ptr<HandlerState>& h);
/// A handler threw: logged with the call's ids; the call is answered INTERNAL.
Status handler_threw(Server::State& st, const Method& m, const HandlerState& h, const std::exception& e);
/// Ends the call's span (if any) with its status.
void end_span(HandlerState& h, const Status& status);
/// Admission control: one more call in flight, or beyond max_in_flight the UNAVAILABLE (with pushback)
/// to answer at once (counted as shed; the in-flight count is taken either way).
std::optional<Status> admit_call(Server::State& st);

}  // namespace svckit::grpc
