// Propagation: from etcd acknowledging a Put/Delete to the balancer's target set reflecting it.
// A writer client registers/deregisters keys; a separate client's Instancer → Endpointer sees them.
// Prints one line per figure; bench/run.sh appends them to bench/RESULTS.md.
#include <algorithm>
#include <condition_variable>
#include <cstdio>
#include <optional>

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>

#include "support/etcd.hpp"
#include "support/run.hpp"
#include "svckit/sd/endpointer.hpp"
#include "svckit/sd/etcd/instancer.hpp"

namespace sd = svckit::sd;
using Clock = std::chrono::steady_clock;

int main(int argc, char** argv) {
  int trials = argc > 1 ? std::atoi(argv[1]) : 20;
  svckit::log::configure(svckit::log::Level::Warn, svckit::log::Format::Logfmt);
  svckit::test::EtcdCluster etcd(1);
  auto writer = sd::etcd::Client::create({.endpoints = etcd.endpoints()});
  auto watcher = sd::etcd::Client::create({.endpoints = etcd.endpoints()});
  boost::asio::io_context io(1);
  auto work = boost::asio::make_work_guard(io);
  std::thread t([&] { io.run(); });

  // The moment the Endpointer applies a change: its factory runs when an instance appears, and the
  // endpoint it made is destroyed when the instance leaves. The main thread waits without spinning.
  std::mutex mu;
  std::condition_variable cv;
  std::optional<Clock::time_point> seen;
  auto mark = [&] {
    std::lock_guard lock(mu);
    seen = Clock::now();
    cv.notify_all();
  };
  struct OnDestroy {
    std::function<void()> fn;
    ~OnDestroy() { fn(); }
  };
  auto endpointer = sd::Endpointer<int, int>::create(
      sd::etcd::Instancer::create(watcher, "/services/bench/"),
      [&](const sd::Instance&) -> svckit::Result<svckit::Endpoint<int, int>> {
        mark();
        auto guard = std::make_shared<OnDestroy>(OnDestroy{mark});
        return svckit::Endpoint<int, int>([guard](const svckit::Context&, const int& x) -> boost::asio::awaitable<svckit::Result<int>> { co_return x; });
      },
      sd::make_balancer("round_robin"), io.get_executor());
  svckit::test::wait_until([&] { return endpointer->initialized(); });

  auto measure = [&](auto change) {
    {
      std::lock_guard lock(mu);
      seen.reset();
    }
    auto r = svckit::test::run_sync(change());
    auto acked = Clock::now();
    if (!r.ok()) throw std::runtime_error(r.status().message());
    std::unique_lock lock(mu);
    if (!cv.wait_for(lock, std::chrono::seconds(5), [&] { return seen.has_value(); }))
      throw std::runtime_error("change never arrived");
    // The event may beat the acknowledgement back to us: that counts as zero.
    return std::max(0.0, std::chrono::duration<double, std::micro>(*seen - acked).count());
  };
  // Warm-up: the watch is created asynchronously after the first read; wait until it delivers.
  (void)measure([&] { return writer->put("/services/bench/warm:1", "warm:1"); });
  (void)measure([&] { return writer->erase("/services/bench/warm:1"); });
  std::vector<double> put_us, del_us;
  for (int i = 0; i < trials; ++i) {
    std::string key = "/services/bench/10.1.0." + std::to_string(i) + ":80";
    put_us.push_back(measure([&] { return writer->put(key, key.substr(16)); }));
    del_us.push_back(measure([&] { return writer->erase(key); }));
  }
  auto report = [&](const char* what, std::vector<double> v) {
    std::sort(v.begin(), v.end());
    auto pct = [&](double p) { return v[std::min(v.size() - 1, static_cast<std::size_t>(p * static_cast<double>(v.size())))]; };
    std::printf("propagation %-6s trials=%zu p50=%.3f ms p99=%.3f ms max=%.3f ms\n", what, v.size(), pct(0.5) / 1000,
                pct(0.99) / 1000, v.back() / 1000);
  };
  std::vector<double> all = put_us;
  all.insert(all.end(), del_us.begin(), del_us.end());
  if (std::getenv("SVCKIT_BENCH_VERBOSE"))
    for (std::size_t i = 0; i < put_us.size(); ++i) std::printf("trial %zu put %.1f us delete %.1f us\n", i, put_us[i], del_us[i]);
  report("put", put_us);
  report("delete", del_us);
  report("all", all);
  endpointer.reset();
  work.reset();
  t.join();
}
