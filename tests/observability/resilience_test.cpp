// Overload behaviour: the token-bucket rate limiter (429 / RESOURCE_EXHAUSTED with a retry hint),
// admission control (503 / UNAVAILABLE beyond max_in_flight) and the client-side adaptive circuit breaker,
// over real HTTP and gRPC servers on loopback.
#include <mutex>
#include <thread>
#include <vector>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <gtest/gtest.h>

#include "echo.pb.h"
#include "support/http_request.hpp"
#include "support/run.hpp"
#include "svckit/codec/proto_json.hpp"
#include "svckit/middleware.hpp"
#include "svckit/metrics/registry.hpp"
#include "svckit/middleware/rate_limit.hpp"
#include "svckit/sd/breaker.hpp"
#include "svckit/sd/endpointer.hpp"
#include "svckit/sd/retry.hpp"
#include "svckit/sd/static_instancer.hpp"
#include "svckit/transport/grpc/client.hpp"
#include "svckit/transport/grpc/server.hpp"
#include "svckit/transport/http/client.hpp"
#include "svckit/transport/http/serve.hpp"
#include "svckit/transport/http/server.hpp"

namespace {

namespace asio = boost::asio;
using namespace std::chrono_literals;
using svckit_test::EchoReply;
using svckit_test::EchoRequest;
using svckit::middleware::TokenBucket;
using svckit::test::wait_until;
using Endpoint = svckit::Endpoint<EchoRequest, EchoReply>;

Endpoint echo() {
  return [](const svckit::Context&, const EchoRequest& r) -> asio::awaitable<svckit::Result<EchoReply>> {
    EchoReply out;
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
  return [&gate](const svckit::Context&, const EchoRequest& r) -> asio::awaitable<svckit::Result<EchoReply>> {
    co_await gate.wait();
    EchoReply out;
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
    grpc_client_ = svckit::grpc::client_endpoint<EchoRequest, EchoReply>(
        svckit::grpc::make_channel("127.0.0.1:" + std::to_string(grpc_->port())), "/test.Echo/Echo");
  }
  svckit::Result<svckit::http::Response> post() {
    return svckit::test::http_request(http_->port(), svckit::http::Verb::post, "/echo", R"({"s":"x"})");
  }
  svckit::Result<EchoReply> call_grpc() {
    EchoRequest req;
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
    EchoRequest req;
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

using svckit::sd::AdaptiveBreaker;
using State = AdaptiveBreaker::State;

TEST(AdaptiveBreaker, StateTransitionsUnderAScriptedLoad) {
  AdaptiveBreaker b({.k = 2, .window = 10s, .open_at = 0.9, .open_for = 1s});
  auto t = AdaptiveBreaker::Clock::time_point{} + 1000s;
  // Healthy: 100 accepted calls.
  for (int i = 0; i < 100; ++i) EXPECT_FALSE(b.record(true, t));
  EXPECT_EQ(b.state(t), State::Closed);
  EXPECT_EQ(b.reject_probability(), 0);
  // Half the calls failing is within K = 2 (plus the protection of 5): nothing is refused yet.
  for (int i = 0; i < 100; ++i) b.record(false, t);
  EXPECT_EQ(b.state(t), State::Closed);
  // More failures: requests exceed 2 × accepts, and refusal starts, proportionally.
  for (int i = 0; i < 100; ++i) b.record(false, t);
  EXPECT_EQ(b.state(t), State::Throttling);
  EXPECT_NEAR(b.reject_probability(), 95.0 / 301, 1e-9);  // (300 − 2·100 − 5) / (300 + 1)
  // Failing on: the probability reaches open_at, and the breaker opens exactly once.
  int opened = 0;
  for (int i = 0; i < 2000; ++i) opened += b.record(false, t) ? 1 : 0;
  EXPECT_EQ(opened, 1);
  EXPECT_EQ(b.state(t), State::Open);
  EXPECT_TRUE(b.open(t + 999ms));
  // After open_for it is back in balancing, still throttled by the failures in its window...
  EXPECT_EQ(b.state(t + 1001ms), State::Throttling);
  int refused = 0;
  for (int i = 0; i < 1000; ++i) refused += b.allow(t + 1001ms) ? 0 : 1;
  EXPECT_GT(refused, 850);
  // ...until the window has passed: then successes close it.
  const auto later = t + 11s;
  b.record(true, later);
  EXPECT_EQ(b.state(later), State::Closed);
  for (int i = 0; i < 1000; ++i) EXPECT_TRUE(b.allow(later));
}

TEST(AdaptiveBreaker, OnlyOverloadAndServerFaultsCountAgainstAnInstance) {
  using svckit::StatusCode;
  for (auto c : {StatusCode::Ok, StatusCode::InvalidArgument, StatusCode::NotFound, StatusCode::AlreadyExists,
                 StatusCode::PermissionDenied, StatusCode::Unauthenticated})
    EXPECT_TRUE(svckit::sd::accepted(c)) << svckit::to_string(c);
  for (auto c : {StatusCode::Unavailable, StatusCode::ResourceExhausted, StatusCode::DeadlineExceeded,
                 StatusCode::Internal, StatusCode::Unknown})
    EXPECT_FALSE(svckit::sd::accepted(c)) << svckit::to_string(c);
}

double client_metric(const std::string& name, const svckit::metrics::LabelValues& labels) {
  auto names = name == "svckit_client_requests_total" ? std::vector<std::string>{"service", "instance", "code"}
               : name == "svckit_balancer_ejections_total" ? std::vector<std::string>{"service", "reason"}
                                                           : std::vector<std::string>{"service"};
  return svckit::metrics::default_registry().counter(name, "", names).with(labels).value();
}

TEST(AdaptiveBreaker, AnOverloadedInstanceLeavesBalancingAndComesBackWhenItRecovers) {
  svckit::IoPool io{2};
  // Two real gRPC servers; "bad" answers RESOURCE_EXHAUSTED (its rate limit) until it is healthy again.
  std::atomic<bool> healthy{false};
  auto good = std::make_shared<svckit::grpc::Server>(io, svckit::grpc::ServerOptions{.address = "127.0.0.1:0"});
  good->add("/test.Echo/Echo", echo());
  auto bad = std::make_shared<svckit::grpc::Server>(io, svckit::grpc::ServerOptions{.address = "127.0.0.1:0"});
  bad->add("/test.Echo/Echo", Endpoint([&healthy](const svckit::Context&, const EchoRequest& r)
                                           -> asio::awaitable<svckit::Result<EchoReply>> {
             if (!healthy) co_return svckit::Status(svckit::StatusCode::ResourceExhausted, "rate limited");
             EchoReply out;
             out.set_v(r.s());
             co_return out;
           }));
  good->start();
  bad->start();
  io.start();
  const std::string good_addr = "127.0.0.1:" + std::to_string(good->port());
  const std::string bad_addr = "127.0.0.1:" + std::to_string(bad->port());
  auto endpointer = svckit::sd::Endpointer<EchoRequest, EchoReply>::create(
      svckit::sd::StaticInstancer::create(std::vector<std::string>{good_addr, bad_addr}),
      [](const svckit::sd::Instance& inst) -> svckit::Result<Endpoint> {
        return svckit::grpc::client_endpoint<EchoRequest, EchoReply>(svckit::grpc::make_channel(inst.address),
                                                                               "/test.Echo/Echo");
      },
      svckit::sd::make_balancer("round_robin"), io.context(0).get_executor(),
      {.service = "breaker-test", .breaker = {.window = 500ms, .open_for = 100ms}});
  auto call = svckit::sd::balanced(endpointer, {.max_attempts = 1});
  auto once = [&] {
    EchoRequest req;
    req.set_s("x");
    const svckit::Context ctx;
    return svckit::test::run_on(io.context(0).get_executor(), call(ctx, req));
  };
  const auto bad_calls = [&] {
    return client_metric("svckit_client_requests_total", {"breaker-test", bad_addr, "RESOURCE_EXHAUSTED"}) +
           client_metric("svckit_client_requests_total", {"breaker-test", bad_addr, "OK"});
  };

  int ok = 0;
  for (int i = 0; i < 300; ++i) ok += once().ok() ? 1 : 0;
  // Round robin alone would send it 150 calls; the breaker stops that after a handful.
  EXPECT_LT(bad_calls(), 40);
  EXPECT_EQ(ok, 300 - static_cast<int>(bad_calls()));
  EXPECT_EQ(client_metric("svckit_client_requests_total", {"breaker-test", good_addr, "OK"}), ok);
  EXPECT_GE(client_metric("svckit_balancer_ejections_total", {"breaker-test", "breaker"}), 1);

  // It recovers: as its failures leave the window, traffic returns to it — gradually, since refused calls
  // count as requests (bounded: at most 200,000 calls or 20 s).
  healthy = true;
  const double before = client_metric("svckit_client_requests_total", {"breaker-test", bad_addr, "OK"});
  int sent = 0;
  EXPECT_TRUE(wait_until(
      [&] {
        for (int i = 0; i < 50 && sent < 200000; ++i, ++sent) (void)once();
        return client_metric("svckit_client_requests_total", {"breaker-test", bad_addr, "OK"}) - before >= 50;
      },
      20s))
      << sent << " calls sent";
  endpointer.reset();
  good->shutdown(std::chrono::steady_clock::now() + 2s);
  bad->shutdown(std::chrono::steady_clock::now() + 2s);
  io.stop();
  io.join();
}

}  // namespace
