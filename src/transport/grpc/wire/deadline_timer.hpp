// One timer for the deadlines of every call on a connection of the own gRPC wire (client and server).
//
// A timer per call re-programs the kernel's timer (timerfd_settime) whenever it becomes the earliest: 10% of
// the own wire server's samples under load (perf, bench_server grpc-wire; none with this). Calls end
// long before their deadlines, so one timer armed for the earliest deadline, re-armed only when an earlier
// one comes or when it fires, is set about once per timeout instead of once per call.
// Thread-safety: the connection's thread only.
#pragma once

#include <chrono>
#include <functional>
#include <memory>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/steady_timer.hpp>

namespace svckit::grpc::wire {

class DeadlineTimer {
 public:
  using Clock = std::chrono::steady_clock;
  /// Ends the calls whose deadline is at or before `now`; returns the earliest deadline still ahead
  /// (Clock::time_point::max() for none).
  using Expire = std::function<Clock::time_point(Clock::time_point now)>;

  DeadlineTimer(const boost::asio::any_io_executor& ex, Expire expire) : timer_(ex), expire_(std::move(expire)) {}

  /// A call's deadline. `owner` (the connection) must be alive for the timer's handler to run.
  void watch(Clock::time_point deadline, std::weak_ptr<void> owner) {
    if (deadline < armed_) arm(deadline, std::move(owner));
  }
  void cancel() {
    armed_ = Clock::time_point::max();
    timer_.cancel();
  }

 private:
  void arm(Clock::time_point at, std::weak_ptr<void> owner) {
    armed_ = at;
    timer_.expires_at(at);  // cancels the wait for a later deadline
    timer_.async_wait([this, owner](boost::system::error_code ec) {
      auto alive = owner.lock();
      if (ec || !alive) return;
      armed_ = Clock::time_point::max();
      if (auto next = expire_(Clock::now()); next != Clock::time_point::max() && next < armed_) arm(next, owner);
    });
  }

  boost::asio::steady_timer timer_;
  Expire expire_;
  Clock::time_point armed_ = Clock::time_point::max();
};

}  // namespace svckit::grpc::wire
