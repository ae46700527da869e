// Overload behaviour: the token-bucket rate limiter (429 / RESOURCE_EXHAUSTED with a retry hint) and
// admission control (503 / UNAVAILABLE beyond max_in_flight), over real HTTP and gRPC servers on loopback.
#include <mutex>
#include <thread>
#include <vector>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <gtest/gtest.h>

#include "stringsvc.pb.h"
#include "support/http_request.hpp"
#include "support/run.hpp"
#include "svckit/codec/proto_json.hpp"
#include "svckit/middleware.hpp"
#include "svckit/middleware/rate_limit.hpp"
#include "svckit/transport/grpc/client.hpp"
#include "svckit/transport/grpc/server.hpp"
#include "svckit/transport/http/client.hpp"
#include "svckit/transport/http/serve.hpp"
#include "svckit/transport/http/server.hpp"

namespace {

namespace asio = boost::asio;
using namespace std::chrono_literals;
using stringsvc::pb::UppercaseReply;
using stringsvc::pb::UppercaseRequest;
using svckit::middleware::TokenBucket;
using svckit::test::wait_until;
using Endpoint = svckit::Endpoint<UppercaseRequest, UppercaseReply>;

Endpoint echo() {
  return [](const svckit::Context&, const UppercaseRequest& r) -> asio::awaitable<svckit::Result<UppercaseReply>> {
    UppercaseReply out;
    out.set_v(r.s());
    co_return out;
  };
}

// Calls wait here until the test opens the gate: requests that stay in flight for as long as needed.
class Gate {
 public:
  asio::awaitable<void> wait() {
    auto ex = co_await asio::this_coro::executor;
    asio::steady_timer t(ex, asio::steady_timer::time_point::max());
    {
      std::lock_guard lock(mu_);
      if (open_) co_return;
      waiting_.emplace_back(ex, &t);
    }
    (void)co_await t.async_wait(asio::as_tuple(asio::use_awaitable));  // cancelled by open()
  }
  void open() {
    std::lock_guard lock(mu_);
    open_ = true;
    for (auto& [ex, t] : waiting_) asio::post(ex, [t = t] { t->cancel(); });
  }

 private:
  std::mutex mu_;
  bool open_ = false;
  std::vector<std::pair<asio::any_io_executor, asio::steady_timer*>> waiting_;
};

Endpoint gated(Gate& gate) {
  return [&gate](const svckit::Context&, const UppercaseRequest& r) -> asio::awaitable<svckit::Result<UppercaseReply>> {
    co_await gate.wait();
    UppercaseReply out;
    out.set_v(r.s());
    co_return out;
  };
}

TEST(TokenBucket, BurstThenSustainedRateAndTheWaitUntilTheNextToken) {
  TokenBucket b(2, 3);  // 2 per second, bursts of 3
  const auto t0 = TokenBucket::Clock::now();
  TokenBucket::Clock::duration wait{};
  for (int i = 0; i < 3; ++i) EXPECT_TRUE(b.take(t0, &wait)) << i;
  EXPECT_FALSE(b.take(t0, &wait));
  EXPECT_EQ(std::chrono::duration_cast<std::chrono::milliseconds>(wait), 500ms);
  EXPECT_FALSE(b.take(t0 + 499ms, &wait));
  EXPECT_TRUE(b.take(t0 + 500ms, &wait));
  // A long idle period refills up to the burst, not beyond.
  const auto later = t0 + 60s;
  for (int i = 0; i < 3; ++i) EXPECT_TRUE(b.take(later, &wait)) << i;
  EXPECT_FALSE(b.take(later, &wait));
  EXPECT_THROW(TokenBucket(0, 1), std::invalid_argument);
  EXPECT_THROW(TokenBucket(1, 0.5), std::invalid_argument);
}

class Overload : public ::testing::Test {
 protected:
  void TearDown() override {
    if (http_) http_->shutdown(std::chrono::steady_clock::now() + 2s);
    if (grpc_) grpc_->shutdown(std::chrono::steady_clock::now() + 2s);
    io_.stop();
    io_.join();
  }
  void serve_http(Endpoint ep, std::size_t max_in_flight = 10000) {
    svckit::http::Router router;
    router.add(svckit::http::Verb::post, "/echo", svckit::http::serve(std::move(ep)));
    http_ = std::make_shared<svckit::http::Server>(
        io_, svckit::http::ServerOptions{.address = "127.0.0.1:0", .max_in_flight = max_in_flight}, std::move(router));
    http_->start();
    io_.start();
  }
  void serve_grpc(Endpoint ep, int max_in_flight = 10000) {
    grpc_ = std::make_shared<svckit::grpc::Server>(
        io_, svckit::grpc::ServerOptions{.address = "127.0.0.1:0", .max_in_flight = max_in_flight});
    grpc_->add("/test.Echo/Echo", std::move(ep));
    grpc_->start();
    io_.start();
    grpc_client_ = svckit::grpc::client_endpoint<UppercaseRequest, UppercaseReply>(
        svckit::grpc::make_channel("127.0.0.1:" + std::to_string(grpc_->port())), "/test.Echo/Echo");
  }
  svckit::Result<svckit::http::Response> post() {
    return svckit::test::http_request(http_->port(), svckit::http::Verb::post, "/echo", R"({"s":"x"})");
  }
  svckit::Result<UppercaseReply> call_grpc() {
    UppercaseRequest req;
    req.set_s("x");
    const svckit::Context ctx;  // the coroutine keeps references to its arguments
    return svckit::test::run_sync(grpc_client_(ctx, req));
  }

  svckit::IoPool io_{2};
  std::shared_ptr<svckit::http::Server> http_;
  std::shared_ptr<svckit::grpc::Server> grpc_;
  Endpoint grpc_client_;
};

TEST_F(Overload, RateLimitedHttpCallsGet429WithRetryAfter) {
  serve_http(svckit::chain(echo(), svckit::middleware::RateLimit{.per_second = 0.01, .burst = 2}));
  for (int i = 0; i < 2; ++i) {
    auto r = post();
    ASSERT_TRUE(r.ok());
    EXPECT_EQ(r->result_int(), 200u) << i;
  }
  auto r = post();
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->result_int(), 429u);
  EXPECT_EQ((*r)[boost::beast::http::field::retry_after], "100");  // one token per 100 s
  EXPECT_NE(r->body().find("RESOURCE_EXHAUSTED"), std::string::npos) << r->body();
  // The client side reads the hint back.
  auto st = svckit::http::status_of(*r);
  EXPECT_EQ(st.code(), svckit::StatusCode::ResourceExhausted);
  ASSERT_TRUE(st.retry_after().has_value());
  EXPECT_EQ(*st.retry_after(), 100s);
}

TEST_F(Overload, RateLimitedGrpcCallsGetResourceExhaustedWithPushback) {
  serve_grpc(svckit::chain(echo(), svckit::middleware::RateLimit{.per_second = 0.5, .burst = 1}));
  ASSERT_TRUE(call_grpc().ok());
  auto r = call_grpc();
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), svckit::StatusCode::ResourceExhausted);
  ASSERT_TRUE(r.status().retry_after().has_value());
  EXPECT_GT(*r.status().retry_after(), 1000ms);  // ~2 s until the next token
  EXPECT_LE(*r.status().retry_after(), 2000ms);
}

TEST_F(Overload, HttpServerShedsBeyondMaxInFlightAndRecovers) {
  Gate gate;
  serve_http(gated(gate), 2);
  // Two requests wait at the gate, on their own connections.
  asio::io_context client_io;
  svckit::http::Client client("127.0.0.1", http_->port());
  int done_ok = 0;
  for (int i = 0; i < 2; ++i)
    asio::co_spawn(client_io, [&]() -> asio::awaitable<void> {
      auto r = co_await client.request(svckit::Context{}, svckit::http::Verb::post, "/echo", R"({"s":"x"})");
      if (r.ok() && r->result_int() == 200) ++done_ok;
    }, asio::detached);
  std::thread t([&] { client_io.run(); });
  ASSERT_TRUE(wait_until([&] { return http_->in_flight() == 2; }));

  auto shed = post();
  ASSERT_TRUE(shed.ok());
  EXPECT_EQ(shed->result_int(), 503u);
  EXPECT_EQ((*shed)[boost::beast::http::field::retry_after], "1");
  EXPECT_NE(shed->body().find("overloaded"), std::string::npos) << shed->body();

  gate.open();
  t.join();
  EXPECT_EQ(done_ok, 2);  // the admitted requests were not disturbed
  auto after = post();
  ASSERT_TRUE(after.ok());
  EXPECT_EQ(after->result_int(), 200u);
}

TEST_F(Overload, GrpcServerShedsBeyondMaxInFlightWithUnavailable) {
  Gate gate;
  serve_grpc(gated(gate), 1);
  asio::io_context client_io;
  bool first_ok = false;
  asio::co_spawn(client_io, [&]() -> asio::awaitable<void> {
    UppercaseRequest req;
    req.set_s("x");
    auto r = co_await grpc_client_(svckit::Context{}, req);
    first_ok = r.ok();
  }, asio::detached);
  std::thread t([&] { client_io.run(); });

  // Once the first call holds the only slot, the next is refused at once with a pushback.
  ASSERT_TRUE(wait_until([&] { return grpc_->in_flight() == 1; }));
  auto r = call_grpc();
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), svckit::StatusCode::Unavailable);
  EXPECT_NE(r.status().message().find("overloaded"), std::string::npos) << r.status().message();
  EXPECT_EQ(r.status().retry_after(), std::optional(std::chrono::milliseconds(1000)));

  gate.open();
  t.join();
  EXPECT_TRUE(first_ok);
  EXPECT_TRUE(call_grpc().ok());
}

}  // namespace
