// svckit/io_pool.hpp — the threads that run everything: one io_context per thread.
//
// One io_context per thread (rather than one shared by all) keeps a connection and its coroutines on one
// thread: no locks or cross-thread wake-ups on the hot path. Servers spread work over the contexts.
// Thread-safety: next()/context() may be called from any thread; start()/stop()/join() from one owner.
#pragma once

#include <atomic>
#include <cstddef>
#include <memory>
#include <thread>
#include <vector>

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>

namespace svckit {

class IoPool {
 public:
  /// threads == 0 means one per core.
  explicit IoPool(std::size_t threads = 0);
  ~IoPool();
  IoPool(const IoPool&) = delete;
  IoPool& operator=(const IoPool&) = delete;

  std::size_t size() const { return contexts_.size(); }
  boost::asio::io_context& context(std::size_t i) { return *contexts_[i]; }
  /// The contexts in turn, for spreading new work.
  boost::asio::io_context& next();

  /// Starts one thread per context (idempotent).
  void start();
  /// Lets the threads finish their queued work and return once nothing is left; stop() ends them at once.
  void release();
  void stop();
  void join();

 private:
  // An io_context whose services can be shut down before it is destroyed (see ~IoPool).
  class Context : public boost::asio::io_context {
   public:
    Context() : boost::asio::io_context(1) {}  // hint 1: run by exactly one thread, asio skips locking
    void shut_down() { shutdown(); }
  };
  using Guard = boost::asio::executor_work_guard<boost::asio::io_context::executor_type>;
  std::vector<std::unique_ptr<Context>> contexts_;
  std::vector<Guard> guards_;
  std::vector<std::thread> threads_;
  std::atomic<std::size_t> next_{0};
};

}  // namespace svckit
