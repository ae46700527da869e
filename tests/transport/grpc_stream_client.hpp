// Test support: a server-streaming call through gRPC's C++ generic stub (a client nobody here wrote), on
// a completion queue of its own, from plain test code.
#pragma once

#include <functional>
#include <memory>
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
inline StreamResult call_stream(const std::string& address, const std::string& method, const std::string& request,
                         ::grpc::ClientContext& ctx, const std::function<bool(const std::string&)>& on_message = {}) {
  return call_stream(channel_to(address), method, request, ctx, on_message);
}

}  // namespace svckit::test
