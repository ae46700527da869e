#include "cq_worker.hpp"

#include <boost/asio/post.hpp>

namespace svckit::grpc::detail {

namespace {
thread_local CqWorker* current_worker = nullptr;
}

void CqWorker::run() {
  current_worker = this;
  void* tag = nullptr;
  bool ok = false;
  while (cq_->Next(&tag, &ok)) {
    taken_from_queue(tag);
    static_cast<Tag*>(tag)->done(ok);
    drain();  // what the tag started (a handler) runs before the next poll
  }
  close();
  drain();
  current_worker = nullptr;
}

void CqWorker::close() {
  std::lock_guard lock(mu_);
  closed_ = true;
}

void CqWorker::push(std::unique_ptr<FnBase> fn) {
  std::unique_lock lock(mu_);
  if (closed_) {
    lock.unlock();
    boost::asio::post(services_, [fn = std::move(fn)] { (*fn)(); });
    return;
  }
  queued_.push_back(std::move(fn));
  // On the worker's own thread the loop drains after the current tag; from elsewhere, wake it once.
  if (current_worker == this || alarm_pending_) return;
  alarm_pending_ = true;
  alarm_.Set(cq_, gpr_inf_past(GPR_CLOCK_MONOTONIC), handed_to_queue(&alarm_tag_));
}

void CqWorker::AlarmTag::done(bool) {
  std::lock_guard lock(worker->mu_);
  worker->alarm_pending_ = false;  // the loop drains right after this tag
}

void CqWorker::drain() {
  std::vector<std::unique_ptr<FnBase>> batch;
  for (;;) {
    {
      std::lock_guard lock(mu_);
      if (queued_.empty()) return;
      batch.swap(queued_);
    }
    for (auto& fn : batch) (*fn)();
    batch.clear();
  }
}

}  // namespace svckit::grpc::detail
