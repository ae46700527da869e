// The grpc++ server's server-streaming calls (Server::add_stream / add_raw_stream).
#include <boost/asio/associated_cancellation_slot.hpp>
#include <boost/asio/async_result.hpp>
#include <boost/asio/bind_cancellation_slot.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/use_awaitable.hpp>

#include "runtime.hpp"
#include "server_state.hpp"
#include "svckit/transport/grpc/status.hpp"

namespace svckit::grpc {

namespace asio = boost::asio;

namespace {

// One server-streaming RPC, from the request for a new call until gRPC has reported both the end of
// Finish and the call's completion (AsyncNotifyWhenDone); deletes itself then. As a unary Call
// (server.cpp), plus writes: the handler's coroutine awaits each Write, one at a time, so a client that
// stops reading holds up its handler, never the server's memory. Every tag arrives on the call's queue
// thread, where the handler runs (cq_worker.hpp).
class StreamCall final : public detail::Tag, public RawStreamWriter {
 public:
  StreamCall(std::shared_ptr<Server::State> st, std::size_t queue, int method)
      : st_(std::move(st)), queue_(queue), method_(method) {
    ctx_.AsyncNotifyWhenDone(detail::handed_to_queue(&done_tag_));
    st_->service.request_stream(method_, &ctx_, &request_, &writer_, st_->queues[queue_].get(),
                                detail::handed_to_queue(this));
  }

  void done(bool ok) override {  // the call arrived (ok false: the server is shutting down)
    if (!ok) {
      delete this;  // never started: no done tag will come
      return;
    }
    {
      std::shared_lock lock(st_->closing_mu);
      if (!st_->closed) new StreamCall(st_, queue_, method_);
    }
    if (auto refused = admit_call(*st_)) {
      finish(*refused);
      return;
    }
    handler_ = start_handler(method(), ctx_);
    // As Call::dispatch: the completion keeps the handler state and the server state alive until the
    // coroutine has fully unwound.
    asio::co_spawn(executor(), run(handler_),
                   asio::bind_cancellation_slot(handler_->cancel.slot(), [keep = handler_, st = st_](std::exception_ptr) {}));
  }

  asio::awaitable<bool> write(::grpc::ByteBuffer message) override {
    if (ended_) co_return false;
    message_ = std::move(message);
    co_return co_await asio::async_initiate<decltype(asio::use_awaitable), void(bool)>(
        [this](auto handler) {
          std::shared_lock lock(st_->closing_mu);
          if (st_->closed) {  // no operation on a queue that is shutting down (see Server::State)
            ended_ = true;
            asio::post(executor(), [h = std::move(handler)]() mutable { std::move(h)(false); });
            return;
          }
          // Cancelling the waiting coroutine (a Timeout, the call's end) cancels the call: the write then
          // completes at once, with ok false.
          write_slot_ = asio::get_associated_cancellation_slot(handler);
          if (write_slot_.is_connected()) write_slot_.assign([this](asio::cancellation_type) { ctx_.TryCancel(); });
          written_ = std::make_unique<Resume<decltype(handler)>>(std::move(handler));
          writer_.Write(message_, detail::handed_to_queue(&write_tag_));
        },
        asio::use_awaitable);
  }

 private:
  // The waiting coroutine's completion handler (move-only, of asio's making).
  struct ResumeBase {
    virtual ~ResumeBase() = default;
    virtual void run(bool ok) = 0;
  };
  template <class Handler>
  struct Resume final : ResumeBase {
    explicit Resume(Handler h) : handler(std::move(h)) {}
    void run(bool ok) override { std::move(handler)(ok); }
    Handler handler;
  };

  struct Step final : detail::Tag {
    StreamCall* call;
    void (StreamCall::*on)(bool);
    Step(StreamCall* c, void (StreamCall::*f)(bool)) : call(c), on(f) {}
    void done(bool ok) override { (call->*on)(ok); }
  };

  asio::awaitable<void> run(std::shared_ptr<HandlerState> h) {
    const Method& m = method();
    Status status;
    try {
      status = co_await m.stream(h->ctx, request_, *this);
    } catch (const std::exception& e) {
      // A cancelled call's waits throw operation_aborted (asio's default for a cancelled coroutine): not an error.
      status = h->ctx.cancelled() ? Status(StatusCode::Cancelled, "cancelled") : handler_threw(*st_, m, *h, e);
    }
    end_span(*h, status);
    h->finished = true;
    finish(status);
  }

  void on_written(bool ok) {
    if (!ok) ended_ = true;  // the call is over (cancelled, deadline, the client left)
    if (write_slot_.is_connected()) write_slot_.clear();
    write_slot_ = {};
    auto resume = std::move(written_);
    resume->run(ok);  // on this queue's thread: the coroutine's own
  }

  void finish(const Status& status) {
    st_->in_flight.fetch_sub(1, std::memory_order_relaxed);
    std::shared_lock lock(st_->closing_mu);
    if (st_->closed) {  // too late: Shutdown cancelled the call; no Finish tag will come
      lock.unlock();
      release();
      return;
    }
    if (auto after = status.retry_after(); after && !status.ok())
      ctx_.AddTrailingMetadata(kPushbackTrailer, std::to_string(after->count()));
    writer_.Finish(to_grpc(status), detail::handed_to_queue(&finish_tag_));
  }

  void on_finished(bool) { release(); }

  void on_call_done(bool) {
    if (ctx_.IsCancelled() && handler_) cancel_handler(executor(), handler_);
    release();
  }

  void release() {
    if (pending_tags_.fetch_sub(1) == 1) delete this;
  }

  const Method& method() const { return st_->methods[static_cast<std::size_t>(method_)]; }
  detail::CqExecutor executor() const { return detail::CqExecutor(st_->workers[queue_].get()); }

  std::shared_ptr<Server::State> st_;
  std::size_t queue_;
  int method_;
  ::grpc::ServerContext ctx_;
  ::grpc::ByteBuffer request_;
  ::grpc::ServerAsyncWriter<::grpc::ByteBuffer> writer_{&ctx_};
  ::grpc::ByteBuffer message_;  // the one being written
  std::unique_ptr<ResumeBase> written_;
  asio::cancellation_slot write_slot_;
  bool ended_ = false;
  std::atomic<int> pending_tags_{2};  // Finish and NotifyWhenDone (the closed path releases from an io thread)
  std::shared_ptr<HandlerState> handler_;
  Step write_tag_{this, &StreamCall::on_written};
  Step finish_tag_{this, &StreamCall::on_finished};
  Step done_tag_{this, &StreamCall::on_call_done};
};

}  // namespace

void Server::State::request_stream_call(std::size_t queue, int method) { new StreamCall(shared_from_this(), queue, method); }

}  // namespace svckit::grpc
