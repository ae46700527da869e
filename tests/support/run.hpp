// Test support: run a coroutine to completion from plain test code.
#pragma once

#include <chrono>
#include <future>
#include <stdexcept>
#include <thread>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/use_future.hpp>

namespace svckit::test {

/// Spawns aw on ex and waits for its result (at most `limit`, so a hung test fails instead of hanging).
template <class T, class Executor>
T run_on(Executor ex, boost::asio::awaitable<T> aw, std::chrono::seconds limit = std::chrono::seconds(30)) {
  auto fut = boost::asio::co_spawn(ex, std::move(aw), boost::asio::use_future);
  if (fut.wait_for(limit) != std::future_status::ready) throw std::runtime_error("coroutine did not finish in time");
  return fut.get();
}

/// Runs aw on a private io_context on this thread.
template <class T>
T run_sync(boost::asio::awaitable<T> aw) {
  boost::asio::io_context io;
  auto fut = boost::asio::co_spawn(io, std::move(aw), boost::asio::use_future);
  io.run();
  return fut.get();
}

/// Polls cond (every millisecond, so the poller does not starve the threads it waits for) until true or
/// the deadline; for conditions another thread makes true. The deadline only bounds a failing test.
template <class F>
bool wait_until(F cond, std::chrono::milliseconds limit = std::chrono::milliseconds(5000)) {
  auto end = std::chrono::steady_clock::now() + limit;
  while (std::chrono::steady_clock::now() < end) {
    if (cond()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(1));  // poll interval, not a timing assumption
  }
  return cond();
}

/// Checks cond every 50 ms for the whole duration; false as soon as it fails. For invariants that must
/// hold over a period (a registration surviving a leader change), not for waiting.
template <class F>
bool holds_for(F cond, std::chrono::milliseconds duration) {
  auto end = std::chrono::steady_clock::now() + duration;
  while (std::chrono::steady_clock::now() < end) {
    if (!cond()) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));  // check interval of the invariant
  }
  return cond();
}

}  // namespace svckit::test
