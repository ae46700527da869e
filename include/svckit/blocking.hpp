// svckit/blocking.hpp — run blocking work (a database call, a file write) off the io threads.
//
//   svckit::BlockingPool db_pool(2);                        // a small bounded pool
//   auto id = co_await svckit::run_blocking(db_pool, [&] { return db.insert(msg); });
//
// The coroutine hops to a pool thread, runs the function there, and hops back to its own executor, so io
// threads never block and at most `threads` blocking calls run at once (the rest queue).
// Thread-safety: a pool may be shared by any number of coroutines. Destroying it waits for queued work.
#pragma once

#include <cstddef>
#include <type_traits>

#include <boost/asio/awaitable.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/thread_pool.hpp>
#include <boost/asio/use_awaitable.hpp>

namespace svckit {

class BlockingPool {
 public:
  explicit BlockingPool(std::size_t threads = 2) : pool_(threads) {}
  ~BlockingPool() { pool_.join(); }
  boost::asio::thread_pool::executor_type executor() { return pool_.get_executor(); }

 private:
  boost::asio::thread_pool pool_;
};

template <class F>
boost::asio::awaitable<std::invoke_result_t<F>> run_blocking(BlockingPool& pool, F f) {
  using R = std::invoke_result_t<F>;
  // A coroutine on the pool runs f; its completion comes back to the caller's executor.
  co_return co_await boost::asio::co_spawn(
      pool.executor(), [f = std::move(f)]() mutable -> boost::asio::awaitable<R> { co_return f(); },
      boost::asio::use_awaitable);
}

}  // namespace svckit
