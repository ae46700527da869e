// balanced(): retries on another instance, deadlines, the retry budget, passive health.
#include <gtest/gtest.h>

#include <future>
#include <map>
#include <thread>
#include <mutex>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_future.hpp>

#include "support/run.hpp"
#include "svckit/sd/retry.hpp"
#include "svckit/sd/static_instancer.hpp"

using namespace std::chrono_literals;
using svckit::Context;
using svckit::Result;
using svckit::Status;
using svckit::StatusCode;
using svckit::sd::Instance;
namespace sd = svckit::sd;

namespace {

// In-process stand-ins for instances: each address answers with what `behaviour` says. (Real servers
// behind a real registry are exercised in tests/e2e; here the subject is the retry logic itself.)
class Fleet {
 public:
  std::map<std::string, StatusCode> behaviour;  // address → what it answers (OK echoes)
  std::map<std::string, std::chrono::milliseconds> delay;
  std::vector<std::string> calls;               // addresses in call order
  std::mutex mu;

  sd::Endpointer<std::string, std::string>::Factory factory() {
    return [this](const Instance& inst) -> Result<svckit::Endpoint<std::string, std::string>> {
      std::string addr = inst.address;
      return svckit::Endpoint<std::string, std::string>(
          [this, addr](const Context& ctx, const std::string& req) -> boost::asio::awaitable<Result<std::string>> {
            StatusCode code;
            std::chrono::milliseconds d{0};
            {
              std::lock_guard lock(mu);
              calls.push_back(addr);
              code = behaviour[addr];
              d = delay[addr];
            }
            if (d.count() > 0) {
              boost::asio::steady_timer t(co_await boost::asio::this_coro::executor);
              t.expires_at(std::min(Context::Clock::now() + d, *ctx.deadline()));
              co_await t.async_wait(boost::asio::use_awaitable);
              if (ctx.expired()) co_return svckit::deadline_exceeded("attempt deadline");
            }
            if (code != StatusCode::Ok) co_return Status(code, addr + " failed");
            co_return addr + ":" + req;
          });
    };
  }
};

class RetryTest : public ::testing::Test {
 protected:
  void SetUp() override { thread_ = std::thread([this] { io_.run(); }); }
  void TearDown() override {
    endpointer_.reset();
    work_.reset();
    thread_.join();
  }
  std::shared_ptr<sd::Endpointer<std::string, std::string>> endpointer(std::vector<std::string> addrs,
                                                                        const char* balancer = "round_robin",
                                                                        sd::BreakerOptions breaker = {}) {
    endpointer_ = sd::Endpointer<std::string, std::string>::create(sd::StaticInstancer::create(addrs), fleet.factory(),
                                                                   sd::make_balancer(balancer), io_.get_executor(),
                                                                   {.breaker = breaker});
    EXPECT_TRUE(svckit::test::wait_until([&] { return endpointer_->targets()->targets.size() == addrs.size(); }));
    return endpointer_;
  }
  Result<std::string> call(const svckit::Endpoint<std::string, std::string>& ep, Context ctx = {}) {
    return svckit::test::run_on(io_.get_executor(), ep(ctx, std::string("x")));
  }

  Fleet fleet;
  boost::asio::io_context io_;
  boost::asio::executor_work_guard<boost::asio::io_context::executor_type> work_{io_.get_executor()};
  std::thread thread_;
  std::shared_ptr<sd::Endpointer<std::string, std::string>> endpointer_;
};

// Ports nothing listens on: probes of these fail, so marked-down targets stay down during a test.
std::string dead_address(int i) { return "127.0.0.1:" + std::to_string(1 + i); }

TEST_F(RetryTest, UnavailableIsRetriedOnAnotherInstanceAndThatInstanceLeavesRotation) {
  auto a = dead_address(0), b = dead_address(1), c = dead_address(2);
  fleet.behaviour[a] = StatusCode::Unavailable;
  auto ep = sd::balanced(endpointer({a, b, c}), {.max_attempts = 3});
  for (int i = 0; i < 30; ++i) {
    auto r = call(ep);
    ASSERT_TRUE(r.ok()) << r.status().message();
  }
  std::lock_guard lock(fleet.mu);
  EXPECT_EQ(std::count(fleet.calls.begin(), fleet.calls.end(), a), 1) << "one failure takes it out of rotation";
  for (std::size_t i = 1; i < fleet.calls.size(); ++i)
    if (fleet.calls[i - 1] == a) {
      EXPECT_NE(fleet.calls[i], a) << "never the same instance twice in a row";
    }
}

TEST_F(RetryTest, NonRetryableErrorsReturnAtOnce) {
  auto a = dead_address(0), b = dead_address(1);
  fleet.behaviour[a] = fleet.behaviour[b] = StatusCode::InvalidArgument;
  auto ep = sd::balanced(endpointer({a, b}), {.max_attempts = 3});
  auto r = call(ep);
  EXPECT_EQ(r.status().code(), StatusCode::InvalidArgument);
  EXPECT_EQ(fleet.calls.size(), 1u);
}

TEST_F(RetryTest, AllFailingGivesTheLastErrorAfterMaxAttempts) {
  auto a = dead_address(0), b = dead_address(1);
  fleet.behaviour[a] = fleet.behaviour[b] = StatusCode::Unavailable;
  auto ep = sd::balanced(endpointer({a, b}), {.max_attempts = 4});
  auto r = call(ep);
  EXPECT_EQ(r.status().code(), StatusCode::Unavailable);
  EXPECT_EQ(fleet.calls.size(), 4u);
}

TEST_F(RetryTest, SlowAttemptTimesOutAndTheNextInstanceAnswersWithinTheDeadline) {
  auto slow = dead_address(0), fast = dead_address(1);
  fleet.delay[slow] = 5000ms;
  auto ep = sd::balanced(endpointer({slow, fast}), {.max_attempts = 2, .attempt_timeout = 100ms});
  Context ctx;
  ctx.set_timeout(3s);
  for (int i = 0; i < 4; ++i) {
    auto r = call(ep, ctx);
    ASSERT_TRUE(r.ok()) << r.status().message();
    EXPECT_EQ(*r, fast + ":x");
  }
}

TEST_F(RetryTest, WithoutRetryAfterTimeoutAnAttemptThatTimedOutIsNotTriedElsewhere) {
  // The slow instance may apply the request late: a call that must happen once stops at the timeout.
  auto slow = dead_address(0), fast = dead_address(1);
  fleet.delay[slow] = 5000ms;
  auto ep = sd::balanced(endpointer({slow, fast}),
                         {.max_attempts = 2, .attempt_timeout = 100ms, .retry_after_timeout = false});
  Context ctx;
  ctx.set_timeout(3s);
  int timed_out = 0;
  for (int i = 0; i < 6; ++i) {  // round robin reaches the slow one every other call
    auto r = call(ep, ctx);
    if (r.ok()) {
      EXPECT_EQ(*r, fast + ":x");
    } else {
      EXPECT_EQ(r.status().code(), svckit::StatusCode::DeadlineExceeded) << r.status().message();
      ++timed_out;
    }
  }
  EXPECT_GT(timed_out, 0) << "no call reached the slow instance: the test proved nothing";
}

TEST_F(RetryTest, OverallDeadlineBoundsAllAttempts) {
  auto a = dead_address(0), b = dead_address(1);
  fleet.delay[a] = fleet.delay[b] = 5000ms;
  auto ep = sd::balanced(endpointer({a, b}), {.max_attempts = 5, .attempt_timeout = 200ms});
  Context ctx;
  ctx.set_timeout(300ms);
  auto started = std::chrono::steady_clock::now();
  auto r = call(ep, ctx);
  EXPECT_EQ(r.status().code(), StatusCode::DeadlineExceeded);
  EXPECT_LT(std::chrono::steady_clock::now() - started, 3s) << "bounded by the 300 ms deadline, not 5 × 5 s";
  EXPECT_LE(fleet.calls.size(), 2u);
}

TEST_F(RetryTest, RetryBudgetCapsExtraLoad) {
  auto a = dead_address(0), b = dead_address(1);
  fleet.behaviour[a] = fleet.behaviour[b] = StatusCode::Unavailable;
  // 20% of calls, no per-second floor, nothing saved up: 100 failing calls may retry about 20 times.
  auto budget = std::make_shared<sd::RetryBudget>(0.2, 0.0, 1.0);
  // The subject is the budget alone: with the circuit breaker on, most of these calls would be refused
  // before reaching either instance (see AdaptiveBreaker tests in tests/observability).
  auto ep = sd::balanced(endpointer({a, b}, "round_robin", {.enabled = false}), {.max_attempts = 3, .budget = budget});
  for (int i = 0; i < 100; ++i) EXPECT_FALSE(call(ep).ok());
  EXPECT_GE(fleet.calls.size(), 100u + 15u);
  EXPECT_LE(fleet.calls.size(), 100u + 22u);
}

TEST_F(RetryTest, NoInstancesIsUnavailableWithAClearMessage) {
  auto ep = sd::balanced(endpointer({}), {.max_attempts = 2});
  auto r = call(ep);
  EXPECT_EQ(r.status().code(), StatusCode::Unavailable);
  EXPECT_NE(r.status().message().find("no instances"), std::string::npos);
}

// Issue 31: an instance deleted and registered again a moment later (a lease lapsed in a registry outage)
// must not fail the calls made in between: a call that finds no instance waits for one, woken by the
// publication.
TEST_F(RetryTest, ACallThatFindsNoInstanceWaitsForOneWithinItsDeadline) {
  auto instancer = sd::StaticInstancer::create(std::vector<std::string>{});
  endpointer_ = sd::Endpointer<std::string, std::string>::create(instancer, fleet.factory(), sd::make_balancer("p2c"),
                                                                 io_.get_executor());
  ASSERT_TRUE(svckit::test::wait_until([&] { return endpointer_->initialized(); }));
  auto ep = sd::balanced(endpointer_, {.wait_for_instance = 5000ms});
  Context ctx;
  ctx.set_timeout(10s);
  const std::string request = "x";  // outlives the call (the coroutine keeps a reference)
  auto pending = boost::asio::co_spawn(io_, ep(ctx, request), boost::asio::use_future);
  ASSERT_TRUE(svckit::test::wait_until([&] { return endpointer_->waiting_for_targets() == 1; }))
      << "the call did not wait for an instance";
  ASSERT_EQ(pending.wait_for(0s), std::future_status::timeout);
  instancer->set({Instance{.key = "a", .address = dead_address(0)}});
  ASSERT_EQ(pending.wait_for(5s), std::future_status::ready);
  auto r = pending.get();
  ASSERT_TRUE(r.ok()) << r.status().message();
  EXPECT_EQ(*r, dead_address(0) + ":x");
}

TEST_F(RetryTest, TheWaitForAnInstanceIsBoundedAndZeroFailsAtOnce) {
  auto ep = sd::balanced(endpointer({}), {.wait_for_instance = 200ms});
  Context ctx;
  ctx.set_timeout(20s);
  auto start = std::chrono::steady_clock::now();
  auto r = call(ep, ctx);
  EXPECT_EQ(r.status().code(), StatusCode::Unavailable);
  EXPECT_GE(std::chrono::steady_clock::now() - start, 200ms) << "it waited";
  EXPECT_LT(std::chrono::steady_clock::now() - start, 10s) << "once, not until the deadline";
  auto at_once = sd::balanced(endpointer_, {.wait_for_instance = 0ms});
  start = std::chrono::steady_clock::now();
  EXPECT_EQ(call(at_once, ctx).status().code(), StatusCode::Unavailable);
  EXPECT_LT(std::chrono::steady_clock::now() - start, 200ms);
}

TEST_F(RetryTest, MarkedDownTargetComesBackWhenItAcceptsConnectionsAgain) {
  boost::asio::io_context io;
  boost::asio::ip::tcp::acceptor listener(io, {boost::asio::ip::make_address("127.0.0.1"), 0});
  auto port = listener.local_endpoint().port();
  std::string addr = "127.0.0.1:" + std::to_string(port);
  listener.close();  // refused until we listen again
  auto ep = endpointer({addr});
  auto& target = *ep->targets()->targets.at(0);
  ep->report_failure(target);
  EXPECT_TRUE(target.down());
  boost::asio::ip::tcp::acceptor again(io, {boost::asio::ip::make_address("127.0.0.1"), port});
  EXPECT_TRUE(svckit::test::wait_until([&] { return !target.down(); }, 10s)) << "a probe connected";
}

}  // namespace

// ---- Balanced server streams: retried on another instance only before their first message ----

namespace {

struct StreamConn {
  svckit::StreamEndpoint<std::string, std::string> watch;
};

// "dead": UNAVAILABLE before any message; "breaks": one message, then UNAVAILABLE; else three messages, OK.
class StreamRetryTest : public RetryTest {
 protected:
  std::map<std::string, std::string> kind;
  std::vector<std::string> streams;  // addresses in call order

  svckit::StreamEndpoint<std::string, std::string> balanced(std::vector<std::string> addrs) {
    auto factory = [this](const Instance& inst) -> Result<StreamConn> {
      std::string addr = inst.address;
      return StreamConn{[this, addr](const Context&, const std::string& req,
                                     svckit::StreamWriter<std::string>& out) -> boost::asio::awaitable<Status> {
        streams.push_back(addr);
        if (kind[addr] == "dead") co_return svckit::unavailable(addr + " is down");
        for (int i = 0; i < (kind[addr] == "breaks" ? 1 : 3); ++i)
          if (!co_await out.write(addr + ":" + req + std::to_string(i))) co_return Status(StatusCode::Cancelled, "gone");
        if (kind[addr] == "breaks") co_return svckit::unavailable(addr + " broke");
        co_return Status();
      }};
    };
    pool_ = sd::ConnectionPool<StreamConn>::create(sd::StaticInstancer::create(addrs), factory, sd::make_balancer("round_robin"),
                                                   io_.get_executor(), {});
    EXPECT_TRUE(svckit::test::wait_until([&] { return pool_->targets()->targets.size() == addrs.size(); }));
    return sd::balanced(pool_, &StreamConn::watch, {.max_attempts = 3});
  }
  std::pair<Status, std::vector<std::string>> stream(const svckit::StreamEndpoint<std::string, std::string>& ep) {
    auto got = std::make_shared<std::vector<std::string>>();
    auto status = svckit::test::run_on(io_.get_executor(), [ep, got]() -> boost::asio::awaitable<Status> {
      auto sink = svckit::stream_to<std::string>([got](const std::string& m) -> boost::asio::awaitable<bool> {
        got->push_back(m);
        co_return true;
      });
      co_return co_await ep(Context{}, std::string("w"), sink);
    }());
    return {status, *got};
  }
  void TearDown() override {
    pool_.reset();
    RetryTest::TearDown();
  }
  std::shared_ptr<sd::ConnectionPool<StreamConn>> pool_;
};

}  // namespace

TEST_F(StreamRetryTest, AStreamThatFailsBeforeItsFirstMessageIsTriedOnAnotherInstance) {
  auto a = dead_address(0), b = dead_address(1);
  kind[a] = "dead";
  auto ep = balanced({a, b});
  for (int i = 0; i < 4; ++i) {
    auto [status, got] = stream(ep);
    ASSERT_TRUE(status.ok()) << status;
    EXPECT_EQ(got, (std::vector<std::string>{b + ":w0", b + ":w1", b + ":w2"})) << "only the instance that answered";
  }
  EXPECT_EQ(std::count(streams.begin(), streams.end(), a), 1) << "the failed instance left rotation";
}

TEST_F(StreamRetryTest, AStreamThatFailsAfterAMessageIsNotRetried) {
  auto a = dead_address(0), b = dead_address(1);
  kind[a] = "breaks";
  kind[b] = "breaks";
  auto ep = balanced({a, b});
  auto [status, got] = stream(ep);
  EXPECT_EQ(status.code(), StatusCode::Unavailable) << status;
  EXPECT_EQ(got.size(), 1u) << "a retry would have repeated what the caller already has";
  EXPECT_EQ(streams.size(), 1u);
}
