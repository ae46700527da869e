#include "svckit/transport/grpc/stream.hpp"

#include <boost/asio/associated_cancellation_slot.hpp>
#include <boost/asio/async_result.hpp>
#include <boost/asio/bind_executor.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <stdexcept>

#include "completion_gate.hpp"
#include "runtime.hpp"
#include "svckit/metadata.hpp"

namespace svckit::grpc {

namespace asio = boost::asio;

namespace {

// One pending stream operation. It keeps the stream alive until gRPC has completed the operation and the
// completion has run on the handler's executor.
template <class Handler>
struct StreamOp final : detail::GatedOp {
  StreamOp(std::shared_ptr<BidiStream> s, ::grpc::ClientContext* c, Handler h)
      : stream(std::move(s)), context(c), handler(std::move(h)), work(asio::get_associated_executor(handler)) {}
  std::shared_ptr<BidiStream> stream;
  ::grpc::ClientContext* context;  // the stream's
  Handler handler;
  // The executor's io_context must not run out of work (and stop) while gRPC holds the operation.
  using Work = asio::executor_work_guard<asio::associated_executor_t<Handler>>;
  Work work;

  std::shared_ptr<void> abandon() override {
    context->TryCancel();
    return std::make_shared<std::pair<Handler, Work>>(std::move(handler), std::move(work));
  }

  void done(bool ok) override {
    std::unique_ptr<StreamOp> self(this);
    std::lock_guard lock(gate->mu);  // held while posting: the handler's context cannot shut down meanwhile
    if (!detail::claim(*this)) return;  // abandoned with its context
    auto ex = asio::get_associated_executor(handler);  // before the handler is moved into the completion
    // The work guard is released on the handler's thread, after it ran (see UnaryCall::done).
    asio::post(ex, [h = std::move(handler), keep = std::move(stream), w = std::move(work), ok]() mutable { std::move(h)(ok); });
  }
};

// The operation to hand to gRPC, or nullptr when the handler's context has shut down: then the handler
// has been posted with ok = false (the operation is not started).
template <class Handler>
detail::Tag* make_op(std::shared_ptr<BidiStream> s, ::grpc::ClientContext* context, Handler h) {
  auto op = std::make_unique<StreamOp<Handler>>(std::move(s), context, std::move(h));
  auto ex = asio::get_associated_executor(op->handler);
  if (!detail::admit(*op, ex)) {
    asio::post(ex, [h = std::move(op->handler)]() mutable { std::move(h)(false); });
    return nullptr;
  }
  return detail::handed_to_queue(op.release());  // deleted by done()
}

}  // namespace

std::shared_ptr<BidiStream> BidiStream::open(const std::shared_ptr<::grpc::Channel>& channel,
                                             const std::string& full_method, asio::any_io_executor ex,
                                             const Metadata& metadata, bool wait_for_ready,
                                             std::optional<std::chrono::system_clock::time_point> deadline) {
  detail::init_runtime();
  for (const auto& [k, v] : metadata)  // grpc++ would abort the process on them
    if (!valid_metadata_key(k) || !valid_metadata_value(k, v))
      throw std::invalid_argument("metadata \"" + k.substr(0, 64) + "\" is not valid gRPC metadata (svckit/metadata.hpp)");
  auto s = std::make_shared<BidiStream>(Private{}, ex);
  s->context_.set_wait_for_ready(wait_for_ready);
  if (deadline) s->context_.set_deadline(*deadline);
  for (const auto& [k, v] : metadata) s->context_.AddMetadata(k, v);
  ::grpc::GenericStub stub(channel);
  s->rw_ = stub.PrepareCall(&s->context_, full_method, detail::client_queue());
  // Writes wait for the start to complete (gRPC rejects a write batch while the start batch is pending).
  s->writing_ = true;
  auto* raw = s.get();
  auto* started = make_op(s, &s->context_, asio::bind_executor(ex, [raw](bool ok) {
    raw->writing_ = false;
    if (!ok) {
      raw->broken_ = true;
      raw->outbox_.clear();
    } else if (!raw->outbox_.empty()) {
      raw->write_next();
    }
  }));
  if (started) s->rw_->StartCall(started);
  return s;
}

BidiStream::~BidiStream() = default;

asio::awaitable<bool> BidiStream::read(::grpc::ByteBuffer& out) {
  co_return co_await asio::async_initiate<decltype(asio::use_awaitable), void(bool)>(
      [&](auto handler) {
        // The read completes (false) once the call is cancelled; the stream may be gone by a later emit.
        if (auto slot = asio::get_associated_cancellation_slot(handler); slot.is_connected())
          slot.assign([weak = weak_from_this()](asio::cancellation_type) {
            if (auto self = weak.lock()) self->context_.TryCancel();
          });
        if (auto* op = make_op(shared_from_this(), &context_, std::move(handler))) rw_->Read(&out, op);
      }, asio::use_awaitable);
}

void BidiStream::write(::grpc::ByteBuffer message, bool last) {
  if (broken_) return;
  outbox_.push_back({std::move(message), last});
  if (!writing_) write_next();
}

void BidiStream::write_next() {
  writing_ = true;
  auto on_written = [this](bool ok) {
    writing_ = false;
    if (!ok) {  // the stream is gone; the reader learns it from read()
      broken_ = true;
      outbox_.clear();
      return;
    }
    outbox_.pop_front();
    if (!outbox_.empty()) write_next();
  };
  auto* op = make_op(shared_from_this(), &context_, asio::bind_executor(ex_, on_written));
  if (!op) return;
  if (outbox_.front().last) rw_->WriteLast(outbox_.front().message, ::grpc::WriteOptions(), op);
  else rw_->Write(outbox_.front().message, op);
}

void BidiStream::cancel() {
  broken_ = true;
  context_.TryCancel();
}

asio::awaitable<::grpc::Status> BidiStream::finish() {
  auto status = std::make_shared<::grpc::Status>();
  co_await asio::async_initiate<decltype(asio::use_awaitable), void(bool)>(
      [&](auto handler) {
        if (auto* op = make_op(shared_from_this(), &context_, std::move(handler))) rw_->Finish(status.get(), op);
      },
      asio::use_awaitable);
  co_return *status;
}

}  // namespace svckit::grpc
