// Private to the gRPC transport: what becomes of a client operation gRPC still holds when the execution
// context its caller waits on goes away.
//
// asio destroys the handlers of its own pending operations when a context shuts down. An operation handed
// to gRPC's client queue is not asio's: without the gate, a call in flight while a process shut down (bugs
// sending an email as SIGTERM came) completed after its io_context was destroyed, posted into freed memory
// (ThreadSanitizer saw it in CI), and the client queue waited for the call's deadline at exit. With it, a
// context that shuts down cancels the operations it waits for and destroys their handlers, as asio does;
// their completions, whenever gRPC delivers them, only free the operation.
#pragma once

#include <memory>
#include <mutex>
#include <unordered_set>

#include <boost/asio/execution/context.hpp>
#include <boost/asio/execution_context.hpp>
#include <boost/asio/query.hpp>

#include "runtime.hpp"

namespace svckit::grpc::detail {

struct GatedOp;

/// The shared part of a gate: outlives the context, since a completion can arrive after it.
struct GateState {
  std::mutex mu;
  bool open = true;                      // guarded by mu; false once the context shuts down
  std::unordered_set<GatedOp*> pending;  // guarded by mu; operations gRPC holds for this context
};

/// A client operation handed to gRPC whose completion resumes a caller on an execution context.
struct GatedOp : Tag {
  std::shared_ptr<GateState> gate;
  /// Called once, with the gate's lock held, when the caller's context shuts down: cancels the gRPC
  /// operation (so it completes soon) and gives up the handler, which the gate destroys after unlocking.
  virtual std::shared_ptr<void> abandon() = 0;
};

/// One per execution context, as an asio service: shutdown() runs when the context shuts down (IoPool's
/// destructor, io_context's destructor), before the context's scheduler is destroyed.
class CompletionGate final : public boost::asio::execution_context::service {
 public:
  static boost::asio::execution_context::id id;
  explicit CompletionGate(boost::asio::execution_context& ctx) : service(ctx) {}
  /// The gate of the context an executor belongs to.
  template <class Executor>
  static std::shared_ptr<GateState> of(const Executor& ex) {
    return boost::asio::use_service<CompletionGate>(boost::asio::query(ex, boost::asio::execution::context)).state_;
  }

 private:
  void shutdown() override;
  std::shared_ptr<GateState> state_ = std::make_shared<GateState>();
};

/// Joins op to the gate of ex's context before op is handed to gRPC. False when that context has shut
/// down already: then op must not be started.
template <class Executor>
bool admit(GatedOp& op, const Executor& ex) {
  op.gate = CompletionGate::of(ex);
  std::lock_guard lock(op.gate->mu);
  if (!op.gate->open) return false;
  op.gate->pending.insert(&op);
  return true;
}

/// In done(), with the gate's lock held for as long as the completion is being posted (so the context
/// cannot shut down in between): true if the caller still waits, false if the op was abandoned.
inline bool claim(GatedOp& op) { return op.gate->pending.erase(&op) != 0; }

}  // namespace svckit::grpc::detail
