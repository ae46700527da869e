// Scale: 10,000 instances under one prefix, then 200 single-key put/delete events.
// Figures: initial load time, watcher CPU for the 200 events, how long after the last event the view is
// correct, memory per watched instance. The writer of the 200 events is a forked child process, so the
// CPU measured here is the watcher's alone (process CPU time of this process).
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <condition_variable>
#include <cstdio>
#include <fstream>
#include <unordered_map>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/use_future.hpp>

#include "support/etcd.hpp"
#include "support/run.hpp"
#include "svckit/sd/etcd/instancer.hpp"

namespace sd = svckit::sd;
namespace asio = boost::asio;

namespace {

std::int64_t mono_ns() {
  timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return std::int64_t{ts.tv_sec} * 1'000'000'000 + ts.tv_nsec;
}
double cpu_ms() {
  timespec ts;
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) * 1e3 + static_cast<double>(ts.tv_nsec) / 1e6;
}
long rss_kb() {
  std::ifstream in("/proc/self/status");
  std::string line;
  while (std::getline(in, line))
    if (line.rfind("VmRSS:", 0) == 0) return std::stol(line.substr(6));
  return 0;
}
std::string key_of(int i) { return "/services/scale/10." + std::to_string(i / 65536) + "." + std::to_string(i / 256 % 256) + "." + std::to_string(i % 256) + ":80"; }
std::string addr_of(const std::string& key) { return key.substr(std::string("/services/scale/").size()); }

// Puts keys [from, to) with up to `window` requests in flight.
asio::awaitable<void> put_range(std::shared_ptr<sd::etcd::Client> c, int from, int to) {
  for (int i = from; i < to; ++i) {
    auto k = key_of(i);
    auto r = co_await c->put(k, addr_of(k));
    if (!r.ok()) throw std::runtime_error(r.status().message());
  }
}

}  // namespace

int main(int argc, char** argv) {
  const int n = argc > 1 ? std::atoi(argv[1]) : 10000;
  const int events = argc > 2 ? std::atoi(argv[2]) : 200;
  svckit::log::configure(svckit::log::Level::Warn, svckit::log::Format::Logfmt);
  svckit::test::EtcdCluster etcd(1);

  // The event writer: forked before this process starts any gRPC thread.
  int go[2], report[2];
  if (pipe(go) != 0 || pipe(report) != 0) return 1;
  pid_t child = fork();
  if (child == 0) {
    char c;
    if (read(go[0], &c, 1) != 1) _exit(1);
    auto w = sd::etcd::Client::create({.endpoints = etcd.endpoints()});
    // Alternate: delete an existing instance, add a new one; the last event adds a marker instance.
    for (int e = 0; e < events; ++e) {
      svckit::Result<std::int64_t> r = e % 2 == 0 ? svckit::test::run_sync(w->erase(key_of(e)))
                                          : svckit::test::run_sync(w->put(key_of(n + e), addr_of(key_of(n + e))));
      if (!r.ok()) _exit(2);
    }
    std::int64_t last_ack = mono_ns();
    if (write(report[1], &last_ack, sizeof last_ack) != sizeof last_ack) _exit(3);
    _exit(0);
  }

  {
    auto loader = sd::etcd::Client::create({.endpoints = etcd.endpoints()});
    asio::io_context io;
    std::vector<std::future<void>> futs;
    const int lanes = 64;  // concurrent writers: etcd batches their commits
    for (int l = 0; l < lanes; ++l)
      futs.push_back(asio::co_spawn(io, put_range(loader, n * l / lanes, n * (l + 1) / lanes), asio::use_future));
    io.run();
    for (auto& f : futs) f.get();
  }

  // The watcher: an Instancer and a subscriber keeping a view, as an Endpointer would.
  auto client = sd::etcd::Client::create({.endpoints = etcd.endpoints()});
  asio::io_context io(1);
  auto work = asio::make_work_guard(io);
  std::thread t([&] { io.run(); });
  std::mutex mu;
  std::condition_variable cv;
  std::unordered_map<std::string, sd::Instance> view;
  std::int64_t final_seen_ns = 0;
  const std::string last_key = key_of(n + events - 1 - (events % 2 == 0 ? 0 : 1));
  long rss_before = rss_kb();
  auto started = std::chrono::steady_clock::now();
  auto instancer = sd::etcd::Instancer::create(client, "/services/scale/");
  auto sub = instancer->subscribe(io.get_executor(), [&](const sd::InstanceUpdate& u) {
    std::lock_guard lock(mu);
    if (u.reset) view.clear();
    for (const auto& i : u.upserts) view[i.key] = i;
    for (const auto& k : u.removed) view.erase(k);
    if (view.contains(last_key) && !final_seen_ns) final_seen_ns = mono_ns();
    cv.notify_all();
  });
  {
    std::unique_lock lock(mu);
    cv.wait(lock, [&] { return view.size() == static_cast<std::size_t>(n); });
  }
  double load_ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - started).count();
  long rss_after = rss_kb();

  double cpu0 = cpu_ms();
  if (write(go[1], "g", 1) != 1) return 1;
  {
    std::unique_lock lock(mu);
    cv.wait(lock, [&] { return final_seen_ns != 0; });
  }
  double cpu = cpu_ms() - cpu0;
  std::int64_t last_ack = 0;
  if (read(report[0], &last_ack, sizeof last_ack) != sizeof last_ack) return 1;
  int status = 0;
  waitpid(child, &status, 0);

  // Check the view is exactly right: the first `events/2` even keys gone, the odd new ones present.
  bool correct;
  {
    std::lock_guard lock(mu);
    correct = view.size() == static_cast<std::size_t>(n);
    for (int e = 0; e < events && correct; ++e)
      correct = e % 2 == 0 ? !view.contains(key_of(e)) : view.contains(key_of(n + e));
  }
  std::printf("scale initial load of %d instances: %.1f ms\n", n, load_ms);
  std::printf("scale watcher CPU for %d put/delete events: %.1f ms (view %s)\n", events, cpu, correct ? "correct" : "WRONG");
  std::printf("scale view correct %.3f ms after the last event's acknowledgement\n",
              std::max<double>(0, static_cast<double>(final_seen_ns - last_ack) / 1e6));
  std::printf("scale memory per watched instance: %.0f bytes (RSS %+ld KiB for %d)\n",
              static_cast<double>(rss_after - rss_before) * 1024.0 / n, rss_after - rss_before, n);
  sub.cancel();
  instancer.reset();
  work.reset();
  t.join();
  return correct ? 0 : 1;
}
