#include "svckit/middleware.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>

#include "support/run.hpp"
#include "svckit/middleware/logging.hpp"
#include "svckit/middleware/timeout.hpp"

using namespace svckit;
using namespace std::chrono_literals;
using Ep = Endpoint<std::string, std::string>;
using boost::asio::awaitable;

namespace {

// A middleware that records when it runs, to check composition order.
struct Recorder {
  std::vector<std::string>* trace;
  std::string name;
  Ep operator()(Ep next) const {
    return [t = trace, n = name, next](const Context& ctx, const std::string& req) -> awaitable<Result<std::string>> {
      t->push_back(n + ">");
      auto r = co_await next(ctx, req);
      t->push_back("<" + n);
      co_return r;
    };
  }
};

Ep sleeper(std::chrono::milliseconds d) {
  return [d](const Context&, const std::string& req) -> awaitable<Result<std::string>> {
    boost::asio::steady_timer t(co_await boost::asio::this_coro::executor, d);
    co_await t.async_wait(boost::asio::use_awaitable);
    co_return req;
  };
}

}  // namespace

TEST(Middleware, FirstListedIsOutermost) {
  std::vector<std::string> trace;
  Ep inner = [&trace](const Context&, const std::string& req) -> awaitable<Result<std::string>> {
    trace.push_back("endpoint");
    co_return req;
  };
  auto ep = chain(inner, Recorder{&trace, "a"}, Recorder{&trace, "b"}, Recorder{&trace, "c"});
  Context ctx;
  auto r = test::run_sync(ep(ctx, "x"));
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(trace, (std::vector<std::string>{"a>", "b>", "c>", "endpoint", "<c", "<b", "<a"}));
}

TEST(Middleware, ChainWithoutMiddlewareIsTheEndpoint) {
  Ep inner = [](const Context&, const std::string& req) -> awaitable<Result<std::string>> { co_return req + "!"; };
  Context ctx;
  EXPECT_EQ(*test::run_sync(chain(inner)(ctx, "x")), "x!");
}

TEST(Middleware, TimeoutCutsASlowEndpoint) {
  auto ep = chain(sleeper(5s), middleware::Timeout{50ms});
  Context ctx;
  auto start = std::chrono::steady_clock::now();
  auto r = test::run_sync(ep(ctx, "x"));
  EXPECT_EQ(r.status().code(), StatusCode::DeadlineExceeded);
  EXPECT_LT(std::chrono::steady_clock::now() - start, 4s);  // cancelled, not waited out
}

TEST(Middleware, TimeoutLetsAFastEndpointFinish) {
  auto ep = chain(sleeper(1ms), middleware::Timeout{5s});
  Context ctx;
  auto r = test::run_sync(ep(ctx, "x"));
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(*r, "x");
}

TEST(Middleware, TimeoutNeverExtendsTheCallersDeadline) {
  auto ep = chain(sleeper(5s), middleware::Timeout{10s});
  Context ctx;
  ctx.set_timeout(50ms);
  auto r = test::run_sync(ep(ctx, "x"));
  EXPECT_EQ(r.status().code(), StatusCode::DeadlineExceeded);
}

TEST(Middleware, ExpiredDeadlineFailsWithoutCalling) {
  bool called = false;
  Ep inner = [&called](const Context&, const std::string& req) -> awaitable<Result<std::string>> {
    called = true;
    co_return req;
  };
  Context ctx;
  ctx.set_deadline(Context::Clock::now() - 1ms);
  auto r = test::run_sync(run_with_deadline(inner, ctx, std::string("x")));
  EXPECT_EQ(r.status().code(), StatusCode::DeadlineExceeded);
  EXPECT_FALSE(called);
}
