// The metrics registry, its Prometheus text exposition, the Metrics middleware and /metrics on the debug
// listener (a real HTTP server on loopback).
#include <future>
#include <thread>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/use_future.hpp>
#include <gtest/gtest.h>

#include "support/http_request.hpp"
#include "svckit/debug.hpp"
#include "svckit/metrics/registry.hpp"
#include "svckit/middleware.hpp"
#include "svckit/middleware/metrics.hpp"
#include "svckit/transport/http/client.hpp"

namespace {

using svckit::metrics::Registry;

template <class T>
T run_sync(boost::asio::awaitable<T> a) {
  boost::asio::io_context io;
  auto f = boost::asio::co_spawn(io, std::move(a), boost::asio::use_future);
  io.run();
  return f.get();
}

bool contains(const std::string& text, const std::string& line) { return text.find(line) != std::string::npos; }

TEST(Metrics, CountersAndGaugesAppearWithHelpTypeAndLabels) {
  Registry r;
  auto& orders = r.counter("shop_orders_total", "Orders placed.", {"kind"});
  orders.with({"card"}).inc();
  orders.with({"card"}).inc(2);
  orders.with({"cash"}).inc();
  auto& queue = r.gauge("shop_queue_length", "Orders waiting.");
  queue.with({}).set(7);
  queue.with({}).dec(2);

  const auto text = r.expose();
  EXPECT_TRUE(contains(text, "# HELP shop_orders_total Orders placed.\n# TYPE shop_orders_total counter\n")) << text;
  EXPECT_TRUE(contains(text, "shop_orders_total{kind=\"card\"} 3\n")) << text;
  EXPECT_TRUE(contains(text, "shop_orders_total{kind=\"cash\"} 1\n")) << text;
  EXPECT_TRUE(contains(text, "# TYPE shop_queue_length gauge\nshop_queue_length 5\n")) << text;
}

TEST(Metrics, ValuesAreWrittenInTheirShortestExactForm) {
  Registry r;
  auto& g = r.gauge("shop_value", "A value.", {"k"});
  g.with({"fifty"}).set(50);
  g.with({"hundred"}).set(100);
  g.with({"half"}).set(0.5);
  g.with({"third"}).set(1.0 / 3);
  g.with({"big"}).set(1e21);
  const auto text = r.expose();
  EXPECT_TRUE(contains(text, "shop_value{k=\"fifty\"} 50\n")) << text;  // not 5e+01
  EXPECT_TRUE(contains(text, "shop_value{k=\"hundred\"} 100\n")) << text;
  EXPECT_TRUE(contains(text, "shop_value{k=\"half\"} 0.5\n")) << text;
  EXPECT_TRUE(contains(text, "shop_value{k=\"third\"} 0.3333333333333333\n")) << text;
  EXPECT_TRUE(contains(text, "shop_value{k=\"big\"} 1e+21\n")) << text;
}

TEST(Metrics, HistogramBucketsAreCumulativeWithInfSumAndCount) {
  Registry r;
  auto& h = r.histogram("op_seconds", "Op time.", {"op"}, {0.1, 1}).with({"read"});
  h.observe(0.05);
  h.observe(0.1);  // on the bound: counts in le="0.1"
  h.observe(0.5);
  h.observe(3);
  const auto text = r.expose();
  EXPECT_TRUE(contains(text, "op_seconds_bucket{op=\"read\",le=\"0.1\"} 2\n")) << text;
  EXPECT_TRUE(contains(text, "op_seconds_bucket{op=\"read\",le=\"1\"} 3\n")) << text;
  EXPECT_TRUE(contains(text, "op_seconds_bucket{op=\"read\",le=\"+Inf\"} 4\n")) << text;
  EXPECT_TRUE(contains(text, "op_seconds_sum{op=\"read\"} 3.65\n")) << text;
  EXPECT_TRUE(contains(text, "op_seconds_count{op=\"read\"} 4\n")) << text;
}

TEST(Metrics, LabelValuesAndHelpAreEscaped) {
  Registry r;
  r.counter("odd_total", "Line one\nback\\slash \"quoted\"", {"path"}).with({"a\"b\\c\nd"}).inc();
  const auto text = r.expose();
  // HELP escapes backslash and newline only; label values also escape the double quote.
  EXPECT_TRUE(contains(text, "# HELP odd_total Line one\\nback\\\\slash \"quoted\"\n")) << text;
  EXPECT_TRUE(contains(text, "odd_total{path=\"a\\\"b\\\\c\\nd\"} 1\n")) << text;
}

TEST(Metrics, InvalidNamesAndClashesAreRefused) {
  Registry r;
  EXPECT_THROW(r.counter("9lives", "h"), std::invalid_argument);
  EXPECT_THROW(r.counter("has space", "h"), std::invalid_argument);
  EXPECT_THROW(r.counter("", "h"), std::invalid_argument);
  EXPECT_THROW(r.counter("ok_total", "h", {"bad-label"}), std::invalid_argument);
  EXPECT_THROW(r.counter("ok_total", "h", {"__reserved"}), std::invalid_argument);
  EXPECT_THROW(r.histogram("lat_seconds", "h", {"le"}), std::invalid_argument);
  EXPECT_THROW(r.histogram("lat_seconds", "h", {}, {1, 0.5}), std::invalid_argument);

  auto& a = r.counter("ok_total", "h", {"x"});
  EXPECT_EQ(&a, &r.counter("ok_total", "h", {"x"}));  // same type and labels: the same family
  EXPECT_THROW(r.gauge("ok_total", "h", {"x"}), std::invalid_argument);
  EXPECT_THROW(r.counter("ok_total", "h", {"y"}), std::invalid_argument);
  EXPECT_THROW(a.with({"1", "2"}), std::invalid_argument);  // two values for one label
  EXPECT_EQ(r.expose().find("9lives"), std::string::npos);
}

TEST(Metrics, ConcurrentIncrementsAreAllCounted) {
  Registry r;
  auto& c = r.counter("hits_total", "h").with({});
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t)
    threads.emplace_back([&] {
      for (int i = 0; i < 10000; ++i) c.inc();
    });
  for (auto& t : threads) t.join();
  EXPECT_EQ(c.value(), 40000);
}

TEST(MetricsMiddleware, CountsEachOutcomeTimesCallsAndTracksInFlight) {
  Registry r;
  svckit::Endpoint<int, int> raw = [&r](const svckit::Context&, const int& x) -> boost::asio::awaitable<svckit::Result<int>> {
    // While the call runs it is in flight.
    EXPECT_EQ(r.gauge("svckit_requests_in_flight", "", {"service", "method"}).with({"shop", "order"}).value(), 1);
    if (x < 0) co_return svckit::invalid_argument("negative");
    co_return x * 2;
  };
  auto ep = svckit::chain(raw, svckit::middleware::Metrics{"shop", "order", &r});
  svckit::Context ctx;
  for (int x : {1, 2, -1}) (void)run_sync(ep(ctx, x));

  const auto text = r.expose();
  EXPECT_TRUE(contains(text, "svckit_requests_total{service=\"shop\",method=\"order\",code=\"OK\"} 2\n")) << text;
  EXPECT_TRUE(contains(text, "svckit_requests_total{service=\"shop\",method=\"order\",code=\"INVALID_ARGUMENT\"} 1\n")) << text;
  EXPECT_TRUE(contains(text, "svckit_request_duration_seconds_count{service=\"shop\",method=\"order\"} 3\n")) << text;
  EXPECT_TRUE(contains(text, "svckit_requests_in_flight{service=\"shop\",method=\"order\"} 0\n")) << text;
}

TEST(MetricsMiddleware, CountsAStreamAsOneCallAndEachOfItsMessages) {
  Registry r;
  svckit::StreamEndpoint<int, int> raw = [](const svckit::Context&, const int& n,
                                            svckit::StreamWriter<int>& out) -> boost::asio::awaitable<svckit::Status> {
    if (n < 0) co_return svckit::invalid_argument("negative");
    for (int i = 0; i < n; ++i)
      if (!co_await out.write(i)) co_return svckit::Status(svckit::StatusCode::Cancelled, "gone");
    co_return svckit::Status();
  };
  auto ep = svckit::chain(raw, svckit::middleware::Metrics{"shop", "watch", &r});
  auto sink = svckit::stream_to<int>([](const int&) -> boost::asio::awaitable<bool> { co_return true; });
  svckit::Context ctx;
  for (int n : {3, 4, -1}) (void)run_sync(ep(ctx, n, sink));

  const auto text = r.expose();
  EXPECT_TRUE(contains(text, "svckit_requests_total{service=\"shop\",method=\"watch\",code=\"OK\"} 2\n")) << text;
  EXPECT_TRUE(contains(text, "svckit_requests_total{service=\"shop\",method=\"watch\",code=\"INVALID_ARGUMENT\"} 1\n")) << text;
  EXPECT_TRUE(contains(text, "svckit_stream_messages_total{service=\"shop\",method=\"watch\"} 7\n")) << text;
  EXPECT_TRUE(contains(text, "svckit_requests_in_flight{service=\"shop\",method=\"watch\"} 0\n")) << text;
}

TEST(DebugListener, ServesMetricsAndHealthOverHttp) {
  svckit::RunnerOptions opts;
  opts.debug_addr = "127.0.0.1:0";
  svckit::Runner runner(opts);
  svckit::metrics::default_registry().counter("debug_listener_test_total", "A test counter.").with({}).inc(41);
  auto debug = svckit::serve_debug(runner);
  std::promise<void> listening;
  runner.on_started([&] { listening.set_value(); });
  std::thread t([&] { (void)runner.run(); });
  listening.get_future().wait();

  auto metrics = svckit::test::http_request(debug->port(), svckit::http::Verb::get, "/metrics");
  auto health = svckit::test::http_request(debug->port(), svckit::http::Verb::get, "/healthz");
  runner.shutdown();
  t.join();

  ASSERT_TRUE(metrics.ok()) << metrics.status().message();
  EXPECT_EQ(metrics->result_int(), 200);
  EXPECT_EQ((*metrics)[boost::beast::http::field::content_type], svckit::metrics::kExpositionContentType);
  EXPECT_TRUE(contains(metrics->body(), "debug_listener_test_total 41\n")) << metrics->body();
  ASSERT_TRUE(health.ok()) << health.status().message();
  EXPECT_EQ(health->result_int(), 200);
}

}  // namespace
