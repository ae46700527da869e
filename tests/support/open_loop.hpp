// Test support: open-loop load — requests sent on a fixed schedule that does not wait for answers (a slow
// answer does not delay the next request, as with real users), every answer checked.
//
//   svckit::test::OpenLoop load(100, [&](std::int64_t n) { return create_user(n).status == 201; });
//   auto before = load.tally();  ... apply a fault ...  auto during = load.tally() - before;
//   EXPECT_EQ(during.failed, 0);
//
// Bounded: it stops after max_requests or max_duration, whichever comes first, and when destroyed.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace svckit::test {

class OpenLoop {
 public:
  /// Returns true when the answer was what the caller expects.
  using Request = std::function<bool(std::int64_t n)>;

  struct Tally {
    std::int64_t sent = 0;     // requests answered or failed so far
    std::int64_t failed = 0;   // of them, wrong or no answer
    std::int64_t late_ms = 0;  // the longest time from a request's scheduled send to its answer
    Tally operator-(const Tally& before) const { return {sent - before.sent, failed - before.failed, late_ms}; }
  };

  OpenLoop(double per_second, Request request, int workers = 16, std::int64_t max_requests = 100000,
           std::chrono::seconds max_duration = std::chrono::seconds(600))
      : request_(std::move(request)), start_(std::chrono::steady_clock::now()) {
    for (int i = 0; i < workers; ++i) workers_.emplace_back([this] { work(); });
    scheduler_ = std::thread([this, per_second, max_requests, max_duration] {
      for (std::int64_t n = 0; n < max_requests; ++n) {
        auto at = start_ + std::chrono::duration_cast<std::chrono::steady_clock::duration>(
                               std::chrono::duration<double>(static_cast<double>(n) / per_second));
        if (at - start_ > max_duration) break;
        std::unique_lock lock(mu_);
        if (wake_.wait_until(lock, at, [this] { return stopping_; })) return;
        due_.push_back({n, at});
        work_ready_.notify_one();
      }
    });
  }
  ~OpenLoop() { stop(); }
  OpenLoop(const OpenLoop&) = delete;
  OpenLoop& operator=(const OpenLoop&) = delete;

  /// Stops sending; waits for the requests in flight.
  void stop() {
    {
      std::lock_guard lock(mu_);
      if (stopping_) return;
      stopping_ = true;
    }
    wake_.notify_all();
    work_ready_.notify_all();
    scheduler_.join();
    for (auto& w : workers_) w.join();
  }

  Tally tally() {
    std::lock_guard lock(mu_);
    return tally_;
  }
  /// The first few failed request numbers (to find them in the services' logs).
  std::vector<std::int64_t> failures() {
    std::lock_guard lock(mu_);
    return failures_;
  }

 private:
  struct Due {
    std::int64_t n;
    std::chrono::steady_clock::time_point at;
  };
  void work() {
    for (;;) {
      Due d;
      {
        std::unique_lock lock(mu_);
        work_ready_.wait(lock, [this] { return stopping_ || !due_.empty(); });
        if (due_.empty()) return;  // stopping, nothing left
        d = due_.front();
        due_.pop_front();
      }
      bool ok = request_(d.n);
      auto late = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - d.at);
      std::lock_guard lock(mu_);
      ++tally_.sent;
      if (!ok) {
        ++tally_.failed;
        if (failures_.size() < 20) failures_.push_back(d.n);
      }
      tally_.late_ms = std::max<std::int64_t>(tally_.late_ms, late.count());
    }
  }

  Request request_;
  std::chrono::steady_clock::time_point start_;
  std::mutex mu_;
  std::condition_variable wake_, work_ready_;
  std::deque<Due> due_;
  bool stopping_ = false;
  Tally tally_;
  std::vector<std::int64_t> failures_;
  std::thread scheduler_;
  std::vector<std::thread> workers_;
};

}  // namespace svckit::test
