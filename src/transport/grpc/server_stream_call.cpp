// The grpc++ server's server-streaming calls (Server::add_stream / add_raw_stream).
#include <boost/asio/associated_cancellation_slot.hpp>
#include <boost/asio/async_result.hpp>
#include <boost/asio/bind_cancellation_slot.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <grpcpp/alarm.h>

#include "runtime.hpp"
#include "server_state.hpp"
#include "svckit/transport/grpc/status.hpp"

namespace svckit::grpc {

namespace asio = boost::asio;

namespace {

// How long a stream's final status waits for a write its handler gave up (a Timeout struck while gRPC
// held the message) before the call is cancelled: a receiver that reads completes it in well under this.
constexpr auto kGiveUpGrace = std::chrono::seconds(1);

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
          // Cancelling the waiting coroutine (a Timeout, the call's end) gives the write up: the coroutine
          // resumes with false, the message stays with gRPC (see abandon_write).
          write_slot_ = asio::get_associated_cancellation_slot(handler);
          if (write_slot_.is_connected())
            write_slot_.assign([this](asio::cancellation_type) {
              pending_tags_.fetch_add(1);  // alive until the posted step ran, whatever else completes first
              asio::post(executor(), [this] {
                abandon_write();
                release();
              });
            });
          written_ = std::make_unique<Resume<decltype(handler)>>(std::move(handler));
          writing_ = true;
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

  // A write gRPC has taken (ok) or dropped because the call is over.
  void on_written(bool ok) {
    writing_ = false;
    if (!ok) ended_ = true;  // the call is over (cancelled, deadline, the client left)
    if (written_) {          // the coroutine still waits for it
      if (write_slot_.is_connected()) write_slot_.clear();
      write_slot_ = {};
      auto resume = std::move(written_);
      resume->run(ok);  // on this queue's thread: the coroutine's own
      return;
    }
    if (finish_after_write_) {  // the handler ended while its given-up write was with gRPC
      if (grace_set_) grace_.Cancel();
      send_finish(*finish_after_write_);
    }
  }

  // The coroutine waiting on a write was cancelled (posted from the slot: the slot is not cleared inside
  // its own handler). The stream is over for the handler: it resumes with false at once and its status is
  // sent once gRPC has taken the message (one write at a time, Finish included). Cancelling the whole call
  // instead would turn a Timeout's DEADLINE_EXCEEDED into CANCELLED whenever it struck during a write.
  void abandon_write() {
    if (!written_) return;  // the write completed first
    if (write_slot_.is_connected()) write_slot_.clear();
    write_slot_ = {};
    ended_ = true;
    auto resume = std::move(written_);
    resume->run(false);
  }

  void finish(const Status& status) {
    st_->in_flight.fetch_sub(1, std::memory_order_relaxed);
    if (!writing_) {
      send_finish(status);
      return;
    }
    // A write the handler gave up is still with gRPC: Finish waits for it, but a receiver that stopped
    // reading never lets it complete; after kGiveUpGrace the call is cancelled.
    finish_after_write_ = status;
    std::shared_lock lock(st_->closing_mu);
    if (st_->closed) return;  // Shutdown cancels the call; its write tag then comes, with ok false
    pending_tags_.fetch_add(1);
    grace_set_ = true;
    grace_.Set(st_->queues[queue_].get(), std::chrono::system_clock::now() + kGiveUpGrace,
               detail::handed_to_queue(&grace_tag_));
  }

  void on_grace(bool expired) {  // expired false: cancelled, the write completed in time
    if (expired && writing_) ctx_.TryCancel();
    release();
  }

  void send_finish(const Status& status) {
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
  bool writing_ = false;  // a Write is with gRPC (its tag has not come back)
  bool ended_ = false;
  std::optional<Status> finish_after_write_;
  ::grpc::Alarm grace_;
  bool grace_set_ = false;
  // Finish and NotifyWhenDone, plus a grace alarm or a posted give-up step while one is pending (the
  // closed path releases from an io thread).
  std::atomic<int> pending_tags_{2};
  std::shared_ptr<HandlerState> handler_;
  Step write_tag_{this, &StreamCall::on_written};
  Step finish_tag_{this, &StreamCall::on_finished};
  Step done_tag_{this, &StreamCall::on_call_done};
  Step grace_tag_{this, &StreamCall::on_grace};
};

}  // namespace

void Server::State::request_stream_call(std::size_t queue, int method) { new StreamCall(shared_from_this(), queue, method); }

}  // namespace svckit::grpc
