// Shared by the failover test and benchmark: three real stringsvc processes registered in a real etcd,
// a client discovering them through the registry, a steady call rate, and one instance killed midway.
#pragma once

#include <atomic>
#include <chrono>
#include <csignal>
#include <string>
#include <thread>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>

#include "support/etcd.hpp"
#include "support/process.hpp"
#include "support/run.hpp"
#include "svckit/sd/registry.hpp"
#include "svckit/sd/retry.hpp"
#include "transport.hpp"  // stringsvc

namespace svckit::test {

struct FailoverResult {
  long calls = 0;
  long failed_calls = 0;     // what the caller saw fail
  long failed_attempts = 0;  // attempts that failed (and were retried, or not)
  std::string first_error;
  /// Instances that did not stop as they should after SIGTERM at the end (or, for instance 0, after the
  /// plan's SIGTERM): a non-zero exit, a sanitizer report in their log, or no exit within 20 s.
  std::vector<std::string> unclean_exits;
};

struct FailoverPlan {
  std::string stringsvc_bin;
  int rate = 500;                          // calls per second
  std::chrono::milliseconds duration{20000};
  std::chrono::milliseconds stop_at{5000};  // when instance 0 gets the signal
  int signal = SIGKILL;
  std::string balancer = "p2c";
};

inline FailoverResult run_failover(const FailoverPlan& plan) {
  namespace asio = boost::asio;
  EtcdCluster etcd(1);
  std::vector<pid_t> pids;
  char dir_tmpl[] = "/tmp/svckit-failover-XXXXXX";
  std::string dir = mkdtemp(dir_tmpl);
  for (int i = 0; i < 3; ++i)
    pids.push_back(spawn_process({plan.stringsvc_bin, "--http-addr", "127.0.0.1:0", "--grpc-addr", "127.0.0.1:0",
                                  "--debug-addr", "127.0.0.1:0", "--registry", etcd.url(), "--threads", "1",
                                  "--shutdown-timeout-ms", "3000", "--log-level", "warn"},
                                 dir + "/stringsvc" + std::to_string(i) + ".log"));
  FailoverResult result;
  std::atomic<long> failed_attempts{0};
  {
    asio::io_context io(1);
    auto work = asio::make_work_guard(io);
    std::thread runner([&] { io.run(); });
    auto registry = sd::Registry::open(etcd.url());
    using Req = stringsvc::UppercaseRequest;
    using Resp = stringsvc::UppercaseReply;
    auto endpointer = sd::Endpointer<Req, Resp>::create(
        registry->instancer("stringsvc"),
        [&](const sd::Instance& inst) -> Result<Endpoint<Req, Resp>> {
          auto ep = stringsvc::make_grpc_client(inst.address).uppercase;
          // Count every failed attempt, whatever the retry layer then does with it.
          return Endpoint<Req, Resp>([ep, &failed_attempts](const Context& ctx, const Req& req) -> asio::awaitable<Result<Resp>> {
            auto r = co_await ep(ctx, req);
            if (!r.ok()) ++failed_attempts;
            co_return r;
          });
        },
        sd::make_balancer(plan.balancer), io.get_executor());
    auto call = sd::balanced(endpointer, {.max_attempts = 3, .attempt_timeout = std::chrono::milliseconds(1000)});
    if (!wait_until([&] { return endpointer->targets()->targets.size() == 3; }, std::chrono::milliseconds(15000)))
      throw std::runtime_error("the three instances did not all register");

    std::atomic<long> done{0}, failed{0};
    std::mutex err_mu;
    const long total = static_cast<long>(plan.rate) * plan.duration.count() / 1000;
    auto load = [&]() -> asio::awaitable<void> {
      asio::steady_timer tick(io);
      auto start = std::chrono::steady_clock::now();
      bool stopped = false;
      for (long i = 0; i < total; ++i) {
        auto due = start + std::chrono::microseconds(1'000'000 * i / plan.rate);
        if (!stopped && due >= start + plan.stop_at) {
          ::kill(pids[0], plan.signal);
          stopped = true;
        }
        tick.expires_at(due);
        co_await tick.async_wait(asio::use_awaitable);
        asio::co_spawn(io, [&]() -> asio::awaitable<void> {
          Context ctx;
          ctx.set_timeout(std::chrono::seconds(3));
          Req req;
          req.set_s("failover");
          auto r = co_await call(ctx, req);
          if (!r.ok()) {
            if (failed++ == 0) {
              std::lock_guard lock(err_mu);
              result.first_error = r.status().message();
            }
          }
          ++done;
        }, asio::detached);
      }
    };
    asio::co_spawn(io, load(), asio::detached);
    if (!wait_until([&] { return done.load() == total; }, plan.duration + std::chrono::seconds(30)))
      throw std::runtime_error("calls did not complete");
    result.calls = total;
    result.failed_calls = failed;
    result.failed_attempts = failed_attempts;
    endpointer.reset();
    call = nullptr;
    registry.reset();
    work.reset();
    runner.join();
  }
  // The survivors stop as in production (SIGTERM), and how they stop is checked; instance 0 was killed, or
  // got its SIGTERM from the plan already.
  for (std::size_t i = 0; i < pids.size(); ++i) {
    const bool killed = i == 0 && plan.signal == SIGKILL;
    if (i > 0) ::kill(pids[i], SIGTERM);
    int status = 0;
    bool exited = wait_until([&] { return waitpid(pids[i], &status, WNOHANG) == pids[i]; }, std::chrono::seconds(20));
    const std::string log = dir + "/stringsvc" + std::to_string(i) + ".log";
    const std::string who = "stringsvc " + std::to_string(i);
    if (!exited) {
      ::kill(pids[i], SIGKILL);
      waitpid(pids[i], nullptr, 0);
      result.unclean_exits.push_back(who + " did not exit within 20 s of SIGTERM");
      continue;
    }
    if (killed) continue;
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
      result.unclean_exits.push_back(who + " exited with " + std::to_string(WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status)) +
                                     ": " + EtcdCluster::tail(log));
    if (auto fault = Process::fault_in(log); !fault.empty()) result.unclean_exits.push_back(who + ": " + fault);
  }
  std::error_code ec;
  std::filesystem::remove_all(dir, ec);
  return result;
}

}  // namespace svckit::test
