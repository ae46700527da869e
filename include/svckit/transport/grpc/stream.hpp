// svckit/transport/grpc/stream.hpp — a client bidirectional stream driven from coroutines.
//
//   auto s = svckit::grpc::BidiStream::open(channel, "/etcdserverpb.Watch/Watch", ex, {{"hasleader", "true"}});
//   s->write(svckit::grpc::serialize_message(request));     // queued; sent in order, one at a time
//   ::grpc::ByteBuffer in;
//   while (co_await s->read(in)) { ... }                   // false once the stream has ended
//   ::grpc::Status st = co_await s->finish();
//
// Built on gRPC's asynchronous API and the process-wide client completion queue, like unary calls.
// Thread-safety: a stream belongs to one executor (the one given to open()); call write(), read(), cancel()
// and finish() only from it. At most one read() may be outstanding. The stream's gRPC state stays alive
// until every operation gRPC holds has completed, even if the caller drops its pointer earlier.
#pragma once

#include <chrono>
#include <deque>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <grpcpp/channel.h>
#include <grpcpp/client_context.h>
#include <grpcpp/generic/generic_stub.h>
#include <grpcpp/support/byte_buffer.h>

namespace svckit::grpc {

class BidiStream : public std::enable_shared_from_this<BidiStream> {
 public:
  using Metadata = std::vector<std::pair<std::string, std::string>>;

  /// Starts the call (without a deadline by default: streams are long-lived; cancel() ends them). With
  /// wait_for_ready the call waits for the channel to (re)connect instead of failing at once. Throws
  /// std::invalid_argument for metadata that is not valid (svckit/metadata.hpp).
  static std::shared_ptr<BidiStream> open(const std::shared_ptr<::grpc::Channel>& channel,
                                          const std::string& full_method, boost::asio::any_io_executor ex,
                                          const Metadata& metadata = {}, bool wait_for_ready = false,
                                          std::optional<std::chrono::system_clock::time_point> deadline = std::nullopt);

  /// Reads the next message into out; false when the stream has ended (then call finish()). Cancelling
  /// the waiting coroutine cancels the call.
  boost::asio::awaitable<bool> read(::grpc::ByteBuffer& out);
  /// Queues a message; messages go out in order. Writes after the stream broke are dropped. `last`: the
  /// client sends nothing after it (half-close; a server-streaming call's one request).
  void write(::grpc::ByteBuffer message, bool last = false);
  /// The server's address as gRPC spells it ("ipv4:127.0.0.1:8081"), once connected.
  std::string peer() const { return context_.peer(); }
  /// Ends the call from our side; pending and later reads return false.
  void cancel();
  /// The call's final status; call once, after read() returned false.
  boost::asio::awaitable<::grpc::Status> finish();

  BidiStream(const BidiStream&) = delete;
  BidiStream& operator=(const BidiStream&) = delete;
  ~BidiStream();

 private:
  struct Private {};

 public:
  BidiStream(Private, boost::asio::any_io_executor ex) : ex_(std::move(ex)) {}

 private:
  void write_next();

  boost::asio::any_io_executor ex_;
  ::grpc::ClientContext context_;
  std::unique_ptr<::grpc::GenericClientAsyncReaderWriter> rw_;
  struct Outgoing {
    ::grpc::ByteBuffer message;
    bool last = false;
  };
  std::deque<Outgoing> outbox_;
  bool writing_ = false;
  bool broken_ = false;
};

}  // namespace svckit::grpc
