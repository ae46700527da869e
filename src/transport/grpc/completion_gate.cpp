#include "completion_gate.hpp"

#include <vector>

namespace svckit::grpc::detail {

boost::asio::execution_context::id CompletionGate::id;

void CompletionGate::shutdown() {
  std::vector<std::shared_ptr<void>> handlers;
  {
    std::lock_guard lock(state_->mu);
    state_->open = false;
    for (auto* op : state_->pending) handlers.push_back(op->abandon());
    state_->pending.clear();
  }
  // The handlers (coroutine frames among them) are destroyed here, on the thread shutting the context
  // down, while its services still answer; not under the lock, as their destructors may do anything.
  handlers.clear();
}

}  // namespace svckit::grpc::detail
