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

// ---- Streaming endpoints (svckit/stream_endpoint.hpp) ----

namespace {

using StreamEp = StreamEndpoint<std::string, std::string>;

// A writer that collects the messages, and can be told to refuse after `accept` of them.
struct Collect final : StreamWriter<std::string> {
  std::vector<std::string> got;
  std::size_t accept = 1000;
  awaitable<bool> write(const std::string& m) override {
    if (got.size() >= accept) co_return false;
    got.push_back(m);
    co_return true;
  }
};

// Writes req, req+"1", … `count` messages, one every `gap`; stops when the writer refuses.
StreamEp ticker(int count, std::chrono::milliseconds gap) {
  return [count, gap](const Context&, const std::string& req, StreamWriter<std::string>& out) -> awaitable<Status> {
    for (int i = 0; i < count; ++i) {
      if (gap > 0ms) {
        boost::asio::steady_timer t(co_await boost::asio::this_coro::executor, gap);
        co_await t.async_wait(boost::asio::use_awaitable);
      }
      if (!co_await out.write(req + std::to_string(i))) co_return Status(StatusCode::Cancelled, "receiver gone");
    }
    co_return Status();
  };
}

struct StreamRecorder {
  std::vector<std::string>* trace;
  std::string name;
  StreamEp operator()(StreamEp next) const {
    return [t = trace, n = name, next](const Context& ctx, const std::string& req,
                                       StreamWriter<std::string>& out) -> awaitable<Status> {
      t->push_back(n + ">");
      auto s = co_await next(ctx, req, out);
      t->push_back("<" + n);
      co_return s;
    };
  }
};

}  // namespace

TEST(StreamMiddleware, ChainRunsTheFirstListedOutermostAndPassesEveryMessage) {
  std::vector<std::string> trace;
  auto ep = chain(ticker(3, 0ms), StreamRecorder{&trace, "a"}, middleware::Logging{log::Logger("test"), "tick"},
                  StreamRecorder{&trace, "b"});
  Context ctx;
  Collect out;
  auto s = test::run_sync(ep(ctx, "m", out));
  ASSERT_TRUE(s.ok()) << s;
  EXPECT_EQ(out.got, (std::vector<std::string>{"m0", "m1", "m2"}));
  EXPECT_EQ(trace, (std::vector<std::string>{"a>", "b>", "<b", "<a"}));
}

TEST(StreamMiddleware, AWriterThatRefusesEndsTheStream) {
  auto ep = chain(ticker(100, 0ms), middleware::Timeout{5s});
  Context ctx;
  Collect out;
  out.accept = 2;
  auto s = test::run_sync(ep(ctx, "m", out));
  EXPECT_EQ(s.code(), StatusCode::Cancelled);
  EXPECT_EQ(out.got.size(), 2u);
}

TEST(StreamMiddleware, TimeoutEndsAStreamThatRunsTooLong) {
  auto ep = chain(ticker(1000, 10ms), middleware::Timeout{100ms});
  Context ctx;
  Collect out;
  auto start = std::chrono::steady_clock::now();
  auto s = test::run_sync(ep(ctx, "m", out));
  EXPECT_EQ(s.code(), StatusCode::DeadlineExceeded) << s;
  EXPECT_LT(std::chrono::steady_clock::now() - start, 5s);  // cancelled, not its 10 s waited out
  EXPECT_LT(out.got.size(), 1000u);
}

TEST(StreamMiddleware, TimeoutCancelsAWriteThatWaits) {
  // The receiver never takes the message (a client that stopped reading): the deadline still ends it.
  struct Stuck final : StreamWriter<std::string> {
    awaitable<bool> write(const std::string&) override {
      boost::asio::steady_timer t(co_await boost::asio::this_coro::executor, 1h);
      co_await t.async_wait(boost::asio::use_awaitable);
      co_return true;
    }
  } out;
  auto ep = chain(ticker(1, 0ms), middleware::Timeout{50ms});
  Context ctx;
  auto s = test::run_sync(ep(ctx, "m", out));
  EXPECT_EQ(s.code(), StatusCode::DeadlineExceeded) << s;
}

TEST(StreamMiddleware, StreamToCallsTheFunctionForEachMessage) {
  std::vector<std::string> got;
  auto sink = stream_to<std::string>([&got](const std::string& m) -> awaitable<bool> {
    got.push_back(m);
    co_return got.size() < 2;  // the second message is the last it wants
  });
  Context ctx;
  auto s = test::run_sync(ticker(5, 0ms)(ctx, "x", sink));
  EXPECT_EQ(s.code(), StatusCode::Cancelled);
  EXPECT_EQ(got, (std::vector<std::string>{"x0", "x1"}));
}
