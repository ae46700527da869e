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

#if defined(SVCKIT_TSAN)
extern "C" void __tsan_acquire(void* addr);
extern "C" void __tsan_release(void* addr);
#endif

/// Wraps every tag given to gRPC with an operation; the queue loops call taken_from_queue when Next
/// returns it. Under ThreadSanitizer this tells TSan what gRPC's completion queue guarantees and TSan
/// cannot see (Debian's gRPC is not instrumented): what the starting thread wrote happens before the
/// completing thread runs the tag. Otherwise both compile to nothing.
template <class T>
T* handed_to_queue(T* tag) {
#if defined(SVCKIT_TSAN)
  __tsan_release(static_cast<void*>(static_cast<Tag*>(tag)));
#endif
  return tag;
}
inline void taken_from_queue([[maybe_unused]] void* tag) {
#if defined(SVCKIT_TSAN)
  __tsan_acquire(tag);
#endif
}

}  // namespace svckit::grpc::detail
