#include "svckit/transport/grpc/client.hpp"

#include <pthread.h>

#include <charconv>
#include <thread>

#include <boost/asio/async_result.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <grpcpp/completion_queue.h>
#include <grpcpp/generic/generic_stub.h>

#include "completion_gate.hpp"
#include "runtime.hpp"
#include "svckit/metadata.hpp"
#include "svckit/trace/span.hpp"
#include "svckit/transport/grpc/status.hpp"

namespace svckit::grpc {

namespace asio = boost::asio;

namespace {

// The process-wide client completion queue and the thread that drains it. Completions only post back to
// the caller's executor, so one thread serves any number of calls.
class ClientQueue {
 public:
  static ClientQueue& instance() {
    static ClientQueue q;
    return q;
  }
  ::grpc::CompletionQueue* cq() { return &cq_; }

 private:
  ClientQueue() {
    detail::init_runtime();
    thread_ = std::thread([this] {
      pthread_setname_np(pthread_self(), "grpc-client");
      void* tag = nullptr;
      bool ok = false;
      while (cq_.Next(&tag, &ok)) {
        detail::taken_from_queue(tag);
        static_cast<detail::Tag*>(tag)->done(ok);
      }
    });
  }
  ~ClientQueue() {
    cq_.Shutdown();
    thread_.join();
  }
  ::grpc::CompletionQueue cq_;
  std::thread thread_;
};

// The server's pushback (grpc-retry-pushback-ms trailer) in milliseconds, or -1.
std::int64_t pushback_ms(const ::grpc::ClientContext& context) {
  const auto& trailers = context.GetServerTrailingMetadata();
  auto it = trailers.find("grpc-retry-pushback-ms");
  if (it == trailers.end()) return -1;
  std::int64_t ms = -1;
  auto [p, ec] = std::from_chars(it->second.data(), it->second.data() + it->second.size(), ms);
  return ec == std::errc() && p == it->second.data() + it->second.size() && ms >= 0 ? ms : -1;
}

// Everything one call needs, alive until gRPC reports the call finished.
struct UnaryCallBase : detail::GatedOp {
  // Declared first, so released last, after the gRPC objects: the call's final reference to the channel is
  // then dropped by svckit's code and not inside libgrpc++ (uninstrumented), so ThreadSanitizer sees the
  // channel's reference count reach zero in order, whichever thread dropped the other references.
  std::shared_ptr<::grpc::Channel> channel;
  ::grpc::ClientContext context;
  ::grpc::ByteBuffer reply;
  ::grpc::Status status;
  std::unique_ptr<::grpc::GenericClientAsyncResponseReader> reader;
  bool want_peer = false;  // a recording span wants the peer's address
};

// Completes on the gRPC queue thread and resumes the caller on the caller's own executor.
template <class Handler>
struct UnaryCall final : UnaryCallBase {
  explicit UnaryCall(Handler h) : handler(std::move(h)), work(asio::get_associated_executor(handler)) {}
  Handler handler;
  // The caller's io_context must not run out of work (and stop) while gRPC holds the call.
  using Work = asio::executor_work_guard<asio::associated_executor_t<Handler>>;
  Work work;

  std::shared_ptr<void> abandon() override {
    context.TryCancel();
    return std::make_shared<std::pair<Handler, Work>>(std::move(handler), std::move(work));
  }

  void done(bool) override {
    std::unique_ptr<UnaryCall> self(this);
    std::lock_guard lock(gate->mu);  // held while posting: the caller's context cannot shut down meanwhile
    if (!detail::claim(*this)) return;  // abandoned: the caller's context shut down and dropped the handler
    auto ex = asio::get_associated_executor(handler);
    // The work guard travels with the completion and is released on the caller's thread: released here,
    // it could outlive an io_context the caller destroys as soon as the handler has run.
    const std::int64_t pushback = status.ok() ? -1 : pushback_ms(context);
    std::string peer = want_peer ? context.peer() : std::string();
    asio::post(ex, [h = std::move(handler), st = std::move(status), r = std::move(reply), w = std::move(work), pushback,
                    p = std::move(peer)]() mutable { std::move(h)(std::move(st), std::move(r), pushback, std::move(p)); });
  }
};

std::chrono::system_clock::time_point to_system(Context::Clock::time_point t) {
  return std::chrono::system_clock::now() +
         std::chrono::duration_cast<std::chrono::system_clock::duration>(t - Context::Clock::now());
}

}  // namespace

namespace detail {
::grpc::CompletionQueue* client_queue() { return ClientQueue::instance().cq(); }
}  // namespace detail

asio::awaitable<Result<::grpc::ByteBuffer>> unary_call(const std::shared_ptr<::grpc::Channel>& channel,
                                                       const std::string& full_method, const Context& ctx,
                                                       ::grpc::ByteBuffer request, ClientOptions opts) {
  if (ctx.expired()) co_return deadline_exceeded("deadline exceeded before calling " + full_method);
  // grpc++ aborts the process on metadata it refuses; the Context's entries are valid by construction, the
  // caller's extra ones are checked here.
  for (const auto& [k, v] : opts.metadata)
    if (!valid_metadata_key(k) || !valid_metadata_value(k, v))
      co_return invalid_argument("metadata \"" + k.substr(0, 64) + "\" is not valid gRPC metadata (svckit/metadata.hpp)");
  // A CLIENT span per call, child of the caller's span; its id travels in traceparent.
  auto span = trace::Span::client(std::string_view(full_method).substr(full_method.starts_with('/') ? 1 : 0), ctx.span());
  auto [status, reply, pushback, peer] =
      co_await asio::async_initiate<decltype(asio::use_awaitable),
                                    void(::grpc::Status, ::grpc::ByteBuffer, std::int64_t, std::string)>(
      [&](auto handler) {
        auto call = std::make_unique<UnaryCall<decltype(handler)>>(std::move(handler));
        call->want_peer = span.recording();
        call->context.set_deadline(to_system(ctx.deadline().value_or(Context::Clock::now() + opts.timeout)));
        call->context.set_wait_for_ready(opts.wait_for_ready);
        if (!ctx.request_id().empty()) call->context.AddMetadata("x-request-id", ctx.request_id());
        call->context.AddMetadata(std::string(trace::kTraceparentHeader), trace::format_traceparent(span.context()));
        if (auto state = ctx.metadata(trace::kTracestateHeader); !state.empty())
          call->context.AddMetadata(std::string(trace::kTracestateHeader), std::string(state));
        for (const auto& [k, v] : opts.metadata) call->context.AddMetadata(k, v);
        ::grpc::GenericStub stub(channel);
        auto* cq = ClientQueue::instance().cq();
        call->channel = channel;
        call->reader = stub.PrepareUnaryCall(&call->context, full_method, request, cq);
        auto ex = asio::get_associated_executor(call->handler);
        if (!detail::admit(*call, ex)) {  // the caller's context has shut down: nobody would be resumed
          asio::post(ex, [h = std::move(call->handler)]() mutable {
            std::move(h)(::grpc::Status(::grpc::StatusCode::CANCELLED, "the caller's io_context has shut down"),
                         ::grpc::ByteBuffer(), -1, std::string());
          });
          return;
        }
        call->reader->StartCall();
        auto* raw = call.release();  // owned by the completion queue until done()
        raw->reader->Finish(&raw->reply, &raw->status, detail::handed_to_queue(raw));
      },
      asio::use_awaitable);
  Status result = status.ok() ? Status() : from_grpc(status);
  if (span.recording()) {
    // gRPC spells the peer "ipv4:127.0.0.1:50051" or "ipv6:[::1]:50051".
    std::string_view p = peer;
    if (auto colon = p.find(':'); colon != std::string_view::npos && (p.starts_with("ipv4") || p.starts_with("ipv6")))
      p.remove_prefix(colon + 1);
    span.set_remote(p);
    span.tag("rpc.system", "grpc");
    span.tag("grpc.status_code", std::to_string(static_cast<int>(status.error_code())));
    span.end(result);
  }
  if (!result.ok()) {
    if (pushback >= 0) result.with_retry_after(std::chrono::milliseconds(pushback));
    co_return result;
  }
  co_return std::move(reply);
}

}  // namespace svckit::grpc
