// Private to the gRPC transport: a completion-queue poller thread that is also an asio executor.
//
// The server runs each call's handler on the thread that received the call. A handler that completes
// without waiting (most do) then costs no thread hop at all: the call arrives, the endpoint runs, and the
// reply is handed to gRPC from the same thread, before it polls again. A handler that does wait (a timer,
// a downstream call, a blocking pool) is resumed on this thread too: functions posted from other threads
// are queued and the poller is woken with a gRPC alarm on its own queue.
//
// I/O objects need an execution_context for their services (timers, sockets): the executor names an io
// pool context for that, so a timer a handler starts is driven by that io thread and its completion comes
// back here. Once the queue is closing, posted functions go to that io context instead.
#pragma once

#include <memory>
#include <mutex>
#include <utility>
#include <vector>

#include <boost/asio/execution.hpp>
#include <boost/asio/io_context.hpp>
#include <grpcpp/alarm.h>
#include <grpcpp/completion_queue.h>

#include "runtime.hpp"

namespace svckit::grpc::detail {

class CqWorker {
 public:
  CqWorker(::grpc::CompletionQueue* cq, boost::asio::io_context& services) : cq_(cq), services_(services) {}
  CqWorker(const CqWorker&) = delete;
  CqWorker& operator=(const CqWorker&) = delete;

  /// The poller loop: delivers tags and runs posted functions until the queue is shut down and drained.
  void run();
  /// From now on posted functions go to the io context; call before shutting the queue down.
  void close();

  template <class F>
  void post(F&& f) {
    push(std::make_unique<Fn<std::decay_t<F>>>(std::forward<F>(f)));
  }
  boost::asio::io_context& services() const { return services_; }

 private:
  struct FnBase {
    virtual ~FnBase() = default;
    virtual void operator()() = 0;
  };
  template <class F>
  struct Fn final : FnBase {
    explicit Fn(F f) : f(std::move(f)) {}
    void operator()() override { f(); }
    F f;
  };
  struct AlarmTag final : Tag {
    CqWorker* worker;
    explicit AlarmTag(CqWorker* w) : worker(w) {}
    void done(bool) override;
  };

  void push(std::unique_ptr<FnBase> fn);
  void drain();

  ::grpc::CompletionQueue* cq_;
  boost::asio::io_context& services_;
  std::mutex mu_;
  std::vector<std::unique_ptr<FnBase>> queued_;  // guarded by mu_
  bool alarm_pending_ = false;                   // guarded by mu_
  bool closed_ = false;                          // guarded by mu_
  ::grpc::Alarm alarm_;
  AlarmTag alarm_tag_{this};
};

/// The executor handlers run on: a CqWorker's thread.
class CqExecutor {
 public:
  explicit CqExecutor(CqWorker* w) noexcept : w_(w) {}

  boost::asio::execution_context& query(boost::asio::execution::context_t) const noexcept { return w_->services(); }
  static constexpr boost::asio::execution::blocking_t query(boost::asio::execution::blocking_t) noexcept {
    return boost::asio::execution::blocking.never;
  }
  CqExecutor require(boost::asio::execution::blocking_t::never_t) const noexcept { return *this; }

  template <class F>
  void execute(F&& f) const {
    w_->post(std::forward<F>(f));
  }
  friend bool operator==(const CqExecutor& a, const CqExecutor& b) noexcept { return a.w_ == b.w_; }
  friend bool operator!=(const CqExecutor& a, const CqExecutor& b) noexcept { return a.w_ != b.w_; }

 private:
  CqWorker* w_;
};

}  // namespace svckit::grpc::detail
