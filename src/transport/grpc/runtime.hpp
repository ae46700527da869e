// Private to the gRPC transport: process-wide gRPC set-up and the completion-queue tag interface.
#pragma once

namespace grpc {
class CompletionQueue;
}

namespace svckit::grpc::detail {

/// Turns off abseil's mutex deadlock detection (on in Debian's build; it costs a few percent inside gRPC
/// and is a debugging aid). Called once by every server and client entry point.
void init_runtime();

/// The process-wide client completion queue, drained by one thread that calls Tag::done.
::grpc::CompletionQueue* client_queue();

/// Every object whose address is put on a completion queue implements this.
struct Tag {
  virtual ~Tag() = default;
  virtual void done(bool ok) = 0;
};

}  // namespace svckit::grpc::detail
