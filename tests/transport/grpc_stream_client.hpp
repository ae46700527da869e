// Test support: streaming calls through gRPC's C++ generic stub (a client nobody here wrote), on a
// completion queue of their own, from plain test code.
#pragma once

#include <chrono>
#include <cstddef>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <grpcpp/create_channel.h>
#include <grpcpp/generic/generic_stub.h>

namespace svckit::test {

// A server-streaming call through gRPC's C++ generic stub: every message, then the status. on_message may
// cancel the call (return false).
struct StreamResult {
  std::vector<std::string> messages;
  ::grpc::Status status;
};
inline std::shared_ptr<::grpc::Channel> channel_to(const std::string& address) {
  return ::grpc::CreateCustomChannel(address, ::grpc::InsecureChannelCredentials(), [] {
    ::grpc::ChannelArguments args;
    args.SetMaxReceiveMessageSize(16 << 20);
    return args;
  }());
}
inline StreamResult call_stream(const std::shared_ptr<::grpc::Channel>& channel, const std::string& method, const std::string& request,
                         ::grpc::ClientContext& ctx, const std::function<bool(const std::string&)>& on_message = {}) {
  ::grpc::GenericStub stub(channel);
  ::grpc::CompletionQueue cq;
  auto step = [&cq] {
    void* tag = nullptr;
    bool ok = false;
    return cq.Next(&tag, &ok) && ok;
  };
  StreamResult out;
  auto call = stub.PrepareCall(&ctx, method, &cq);
  call->StartCall(nullptr);
  if (step()) {
    ::grpc::Slice slice(request);
    call->Write(::grpc::ByteBuffer(&slice, 1), nullptr);
    step();
    call->WritesDone(nullptr);
    step();
    ::grpc::ByteBuffer in;
    for (;;) {
      call->Read(&in, nullptr);
      if (!step()) break;
      ::grpc::Slice whole;
      (void)in.DumpToSingleSlice(&whole);
      out.messages.emplace_back(reinterpret_cast<const char*>(whole.begin()), whole.size());
      if (on_message && !on_message(out.messages.back())) ctx.TryCancel();
    }
  }
  call->Finish(&out.status, nullptr);
  step();
  cq.Shutdown();
  void* tag = nullptr;
  bool ok = false;
  while (cq.Next(&tag, &ok)) {
  }
  return out;
}
// A client- or bidirectional-streaming call through gRPC's C++ generic stub, one step at a time: the test
// writes, reads and half-closes in the order it wants.
class BidiCall {
 public:
  BidiCall(const std::shared_ptr<::grpc::Channel>& channel, const std::string& method, std::chrono::system_clock::time_point deadline)
      : stub_(channel) {
    ctx_.set_deadline(deadline);
    call_ = stub_.PrepareCall(&ctx_, method, &cq_);
    call_->StartCall(nullptr);
    started_ = step();
  }
  ~BidiCall() {
    ctx_.TryCancel();
    cq_.Shutdown();
    void* tag = nullptr;
    bool ok = false;
    while (cq_.Next(&tag, &ok)) {
    }
  }
  bool started() const { return started_; }
  /// false once the call is over (the server ended it, or its deadline passed).
  bool write(const std::string& message) {
    ::grpc::Slice slice(message);
    call_->Write(::grpc::ByteBuffer(&slice, 1), nullptr);
    return step();
  }
  bool writes_done() {
    call_->WritesDone(nullptr);
    return step();
  }
  /// The next message; nullopt at the end of the server's messages.
  std::optional<std::string> read() {
    ::grpc::ByteBuffer in;
    call_->Read(&in, nullptr);
    if (!step()) return std::nullopt;
    ::grpc::Slice whole;
    (void)in.DumpToSingleSlice(&whole);
    return std::string(reinterpret_cast<const char*>(whole.begin()), whole.size());
  }
  void cancel() { ctx_.TryCancel(); }
  ::grpc::Status finish() {
    ::grpc::Status st;
    call_->Finish(&st, nullptr);
    step();
    return st;
  }

 private:
  bool step() {
    void* tag = nullptr;
    bool ok = false;
    return cq_.Next(&tag, &ok) && ok;
  }
  ::grpc::GenericStub stub_;
  ::grpc::CompletionQueue cq_;
  ::grpc::ClientContext ctx_;
  std::unique_ptr<::grpc::GenericClientAsyncReaderWriter> call_;
  bool started_ = false;
};

// A server-streaming call started and then left unread: the request is sent (and the client's side
// closed), and nothing is read until the test says so — a client that stops reading.
class PausedStream {
 public:
  PausedStream(const std::shared_ptr<::grpc::Channel>& channel, const std::string& method, const std::string& request,
               std::chrono::system_clock::time_point deadline)
      : call_(channel, method, deadline) {
    started_ = call_.started() && call_.write(request) && call_.writes_done();
  }
  /// The request reached the server.
  bool started() const { return started_; }
  /// Reads every message that comes; how many.
  std::size_t read_all() {
    std::size_t n = 0;
    while (call_.read()) ++n;
    return n;
  }
  void cancel() { call_.cancel(); }
  ::grpc::Status finish() { return call_.finish(); }

 private:
  BidiCall call_;
  bool started_ = false;
};

inline StreamResult call_stream(const std::string& address, const std::string& method, const std::string& request,
                         ::grpc::ClientContext& ctx, const std::function<bool(const std::string&)>& on_message = {}) {
  return call_stream(channel_to(address), method, request, ctx, on_message);
}

}  // namespace svckit::test
