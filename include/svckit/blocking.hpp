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
#include <exception>
#include <optional>
#include <type_traits>

#include <boost/asio/awaitable.hpp>
#include <boost/asio/async_result.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/post.hpp>
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

namespace detail {
// What f returned (nothing for void), or the exception it threw.
template <class R>
struct BlockingOutcome {
  std::exception_ptr error;
  std::conditional_t<std::is_void_v<R>, bool, std::optional<R>> value{};
};
}  // namespace detail

/// Runs f on the pool and resumes the caller on its own executor with f's result (or exception).
/// Not cancellable: blocking work cannot be interrupted and usually reads the caller's locals, so the
/// caller stays suspended until f has returned even when its call is cancelled (a gRPC deadline passing,
/// say); the cancellation is seen at the caller's next co_await.
template <class F>
boost::asio::awaitable<std::invoke_result_t<F>> run_blocking(BlockingPool& pool, F f) {
  using R = std::invoke_result_t<F>;
  if (!pool.has_threads()) co_return f();
  using Outcome = detail::BlockingOutcome<R>;
  // No cancellation handler is installed on the caller's slot, so nothing can resume it before f is done.
  Outcome out = co_await boost::asio::async_initiate<decltype(boost::asio::use_awaitable), void(Outcome)>(
      [&pool, &f](auto handler) {
        auto work = boost::asio::make_work_guard(boost::asio::get_associated_executor(handler));
        boost::asio::post(pool.executor(), [&f, handler = std::move(handler), work = std::move(work)]() mutable {
          Outcome o;
          try {
            if constexpr (std::is_void_v<R>) f();
            else o.value.emplace(f());
          } catch (...) {
            o.error = std::current_exception();
          }
          auto ex = work.get_executor();
          boost::asio::post(ex, [h = std::move(handler), o = std::move(o), w = std::move(work)]() mutable {
            std::move(h)(std::move(o));
          });
        });
      },
      boost::asio::use_awaitable);
  if (out.error) std::rethrow_exception(out.error);
  if constexpr (!std::is_void_v<R>) co_return std::move(*out.value);
}

}  // namespace svckit
