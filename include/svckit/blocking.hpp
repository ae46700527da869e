// svckit/blocking.hpp — run blocking work (a database call, a file write) off the io threads.
//
//   svckit::BlockingPool db_pool(2);                        // a small bounded pool
//   auto id = co_await svckit::run_blocking(db_pool, [&] { return db.insert(msg); });
//
// The coroutine hops to a pool thread, runs the function there, and hops back to its own executor, so io
// threads never block and at most `threads` blocking calls run at once (the rest queue).
// A pool of 0 threads runs the function inline on the caller's thread: for work that never blocks (an
// in-memory store), so that the same service code pays no thread hops there.
// Thread-safety: a pool may be shared by any number of coroutines. Destroying it waits for queued work.
#pragma once

#include <cstddef>
#include <optional>
#include <type_traits>

#include <boost/asio/awaitable.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/thread_pool.hpp>
#include <boost/asio/use_awaitable.hpp>

namespace svckit {

class BlockingPool {
 public:
  explicit BlockingPool(std::size_t threads = 2) {
    if (threads > 0) pool_.emplace(threads);
  }
  ~BlockingPool() {
    if (pool_) pool_->join();
  }
  /// False for a pool of 0 threads (work runs inline).
  bool has_threads() const { return pool_.has_value(); }
  /// Requires has_threads().
  boost::asio::thread_pool::executor_type executor() { return pool_->get_executor(); }

 private:
  std::optional<boost::asio::thread_pool> pool_;
};

template <class F>
boost::asio::awaitable<std::invoke_result_t<F>> run_blocking(BlockingPool& pool, F f) {
  using R = std::invoke_result_t<F>;
  if (!pool.has_threads()) co_return f();
  // A coroutine on the pool runs f; its completion comes back to the caller's executor.
  co_return co_await boost::asio::co_spawn(
      pool.executor(), [f = std::move(f)]() mutable -> boost::asio::awaitable<R> { co_return f(); },
      boost::asio::use_awaitable);
}

}  // namespace svckit
