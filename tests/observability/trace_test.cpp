// Tracing: W3C traceparent parsing, propagation over real HTTP and gRPC servers on loopback (through the
// balancer and its retries), trace ids in log lines, and export to a Zipkin collector on loopback —
// including a collector that is down and a queue that is full.
#include <atomic>
#include <cstdio>
#include <limits>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/write.hpp>
#include <boost/json.hpp>
#include <gtest/gtest.h>

#include "echo.pb.h"
#include "support/run.hpp"
#include "support/zipkin_collector.hpp"
#include "svckit/codec/proto_json.hpp"
#include "svckit/log.hpp"
#include "svckit/metrics/registry.hpp"
#include "svckit/middleware.hpp"
#include "svckit/middleware/logging.hpp"
#include "svckit/sd/balancer.hpp"
#include "svckit/sd/endpointer.hpp"
#include "svckit/sd/retry.hpp"
#include "svckit/sd/static_instancer.hpp"
#include "svckit/trace/span.hpp"
#include "svckit/trace/zipkin.hpp"
#include "svckit/transport/grpc/client.hpp"
#include "svckit/transport/grpc/server.hpp"
#include "svckit/transport/http/client.hpp"
#include "svckit/transport/http/serve.hpp"
#include "svckit/transport/http/server.hpp"

namespace {

namespace asio = boost::asio;
namespace trace = svckit::trace;
using namespace std::chrono_literals;
using svckit_test::EchoReply;
using svckit_test::EchoRequest;
using svckit::test::find_span;
using svckit::test::str;
using svckit::test::wait_until;
using Endpoint = svckit::Endpoint<EchoRequest, EchoReply>;

constexpr std::string_view kW3cExample = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";

TEST(Traceparent, ParsesTheW3CExample) {
  auto sc = trace::parse_traceparent(kW3cExample);
  ASSERT_TRUE(sc);
  EXPECT_EQ(trace::trace_id_hex(*sc), "4bf92f3577b34da6a3ce929d0e0e4736");
  EXPECT_EQ(trace::span_id_hex(sc->span_id), "00f067aa0ba902b7");
  EXPECT_TRUE(sc->sampled);
  EXPECT_EQ(trace::format_traceparent(*sc), kW3cExample);
  auto unsampled = trace::parse_traceparent("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-00");
  ASSERT_TRUE(unsampled);
  EXPECT_FALSE(unsampled->sampled);
}

TEST(Traceparent, MalformedValuesAreRejected) {
  for (std::string_view bad : {
           "",
           "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7",          // no flags
           "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01-",      // version 00 has nothing after flags
           "00-4BF92F3577B34DA6A3CE929D0E0E4736-00f067aa0ba902b7-01",       // upper case
           "00-00000000000000000000000000000000-00f067aa0ba902b7-01",       // all-zero trace id
           "00-4bf92f3577b34da6a3ce929d0e0e4736-0000000000000000-01",       // all-zero parent id
           "ff-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",       // version ff is invalid
           "00_4bf92f3577b34da6a3ce929d0e0e4736_00f067aa0ba902b7_01",       // separators
           "00-4bf92f3577b34da6a3ce929d0e0e473g-00f067aa0ba902b7-01",       // not hex
           "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-0x",       // flags not hex
           "0-4bf92f3577b34da6a3ce929d0e0e47361-00f067aa0ba902b7-01",       // shifted fields
       })
    EXPECT_FALSE(trace::parse_traceparent(bad)) << bad;
}

TEST(Traceparent, EveryNonHexByteIsRejectedInEveryField) {
  // Positions in the version, trace id (both halves), parent id and flags fields.
  for (std::size_t pos : {0u, 3u, 18u, 19u, 34u, 36u, 51u, 53u, 54u}) {
    for (int c = 0; c < 256; ++c) {
      if ((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f')) continue;
      std::string bad(kW3cExample);
      bad[pos] = static_cast<char>(c);
      EXPECT_FALSE(trace::parse_traceparent(bad)) << "byte " << c << " at " << pos;
    }
  }
}

TEST(Traceparent, IdsAreWrittenAsLowerCaseHexAndReadBack) {
  std::vector<std::uint64_t> ids = {1, 0xa, 0x0123456789abcdefULL, 0xfedcba9876543210ULL, 0x8000000000000000ULL,
                                    std::numeric_limits<std::uint64_t>::max()};
  for (int i = 0; i < 1000; ++i) ids.push_back(trace::new_span_id());
  for (std::uint64_t id : ids) {
    char expected[17];
    std::snprintf(expected, sizeof expected, "%016llx", static_cast<unsigned long long>(id));
    EXPECT_EQ(trace::span_id_hex(id), expected);
    trace::SpanContext sc{.trace_hi = id, .trace_lo = ~id | 1, .span_id = id, .sampled = true};
    auto back = trace::parse_traceparent(trace::format_traceparent(sc));
    ASSERT_TRUE(back) << trace::format_traceparent(sc);
    EXPECT_EQ(back->trace_hi, sc.trace_hi);
    EXPECT_EQ(back->trace_lo, sc.trace_lo);
    EXPECT_EQ(back->span_id, sc.span_id);
  }
}

TEST(Traceparent, LaterVersionsAreReadByTheirPrefix) {
  auto sc = trace::parse_traceparent("01-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01-future");
  ASSERT_TRUE(sc);
  EXPECT_EQ(trace::trace_id_hex(*sc), "4bf92f3577b34da6a3ce929d0e0e4736");
  EXPECT_FALSE(trace::parse_traceparent("01-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01x"));
}

TEST(Span, ServerContinuesAValidTraceAndStartsANewOneOtherwise) {
  auto parent = *trace::parse_traceparent(kW3cExample);
  auto continued = trace::Span::server("op", kW3cExample);
  EXPECT_TRUE(continued.context().same_trace(parent));
  EXPECT_EQ(continued.parent_id(), parent.span_id);
  EXPECT_NE(continued.context().span_id, parent.span_id);
  EXPECT_TRUE(continued.context().sampled);  // the caller's decision is followed

  auto fresh = trace::Span::server("op", "00-4BF92F3577B34DA6A3CE929D0E0E4736-00f067aa0ba902b7-01");
  EXPECT_TRUE(fresh.context().valid());
  EXPECT_FALSE(fresh.context().same_trace(parent));
  EXPECT_EQ(fresh.parent_id(), 0u);

  auto child = trace::Span::client("call", continued.context());
  EXPECT_TRUE(child.context().same_trace(parent));
  EXPECT_EQ(child.parent_id(), continued.context().span_id);
  // Without an exporter nothing is recorded, but ids still propagate.
  EXPECT_FALSE(child.recording());
}

TEST(ZipkinJson, SpansAreZipkinV2WithEscapedStrings) {
  trace::SpanData s;
  s.context = *trace::parse_traceparent(kW3cExample);
  s.parent_id = 0x1234;
  s.kind = trace::SpanKind::Client;
  s.name = "say \"hi\"\n";
  s.remote = "127.0.0.1:8300";
  s.start_us = 1700000000000000;
  s.duration_us = 42;
  s.tags = {{"error", "bad\\thing\x01"}};
  trace::SpanData root = s;
  root.parent_id = 0;
  root.kind = trace::SpanKind::Server;
  root.remote = "[::1]:80";
  root.tags.clear();
  auto doc = boost::json::parse(trace::to_zipkin_json({s, root}, "users"));
  auto& arr = doc.as_array();
  ASSERT_EQ(arr.size(), 2u);
  auto& a = arr[0].as_object();
  EXPECT_EQ(a.at("traceId"), "4bf92f3577b34da6a3ce929d0e0e4736");
  EXPECT_EQ(a.at("id"), "00f067aa0ba902b7");
  EXPECT_EQ(a.at("parentId"), "0000000000001234");
  EXPECT_EQ(a.at("kind"), "CLIENT");
  EXPECT_EQ(a.at("name"), "say \"hi\"\n");
  EXPECT_EQ(a.at("timestamp").as_int64(), 1700000000000000);
  EXPECT_EQ(a.at("duration").as_int64(), 42);
  EXPECT_EQ(a.at("localEndpoint").at("serviceName"), "users");
  EXPECT_EQ(a.at("remoteEndpoint").at("ipv4"), "127.0.0.1");
  EXPECT_EQ(a.at("remoteEndpoint").at("port").as_int64(), 8300);
  EXPECT_EQ(a.at("tags").at("error"), "bad\\thing\x01");
  auto& b = arr[1].as_object();
  EXPECT_FALSE(b.contains("parentId"));  // a root span has none
  EXPECT_FALSE(b.contains("tags"));
  EXPECT_EQ(b.at("kind"), "SERVER");
  EXPECT_EQ(b.at("remoteEndpoint").at("ipv6"), "::1");
}

TEST(ZipkinJson, TimestampsAndDurationsAreWrittenExactly) {
  // Every digit count, both sides of each power of ten, the 10^16 switch to the general path, negatives.
  std::vector<std::int64_t> values = {0, std::numeric_limits<std::int64_t>::max(), -1, -123456789};
  for (std::int64_t p = 1;; p *= 10) {  // 10^0 .. 10^18, the largest power of ten an int64 holds
    for (std::int64_t v : {p - 1, p, p + 1, 7 * p + 3}) values.push_back(v);
    if (p == 1'000'000'000'000'000'000) break;
  }
  std::uint64_t x = 0x9e3779b97f4a7c15ULL;  // and a spread of 16-digit timestamps
  for (int i = 0; i < 200; ++i) {
    x ^= x << 13, x ^= x >> 7, x ^= x << 17;
    values.push_back(static_cast<std::int64_t>(x % 10'000'000'000'000'000));
  }
  std::vector<trace::SpanData> spans;
  for (std::size_t i = 0; i < values.size(); ++i) {
    trace::SpanData s;
    s.context = *trace::parse_traceparent(kW3cExample);
    s.start_us = values[i];
    s.duration_us = values[values.size() - 1 - i];
    spans.push_back(s);
  }
  auto doc = boost::json::parse(trace::to_zipkin_json(spans, "users"));
  auto& arr = doc.as_array();
  ASSERT_EQ(arr.size(), values.size());
  for (std::size_t i = 0; i < values.size(); ++i) {
    EXPECT_EQ(arr[i].at("timestamp").as_int64(), spans[i].start_us);
    EXPECT_EQ(arr[i].at("duration").as_int64(), spans[i].duration_us);
  }
}

TEST(ZipkinJson, HostNamesUnparseableRemotesAndWorstCaseEscapingEncode) {
  trace::SpanData s;
  s.context = *trace::parse_traceparent(kW3cExample);
  s.start_us = std::numeric_limits<std::int64_t>::min();  // the longest numbers there are
  s.duration_us = std::numeric_limits<std::int64_t>::min();
  s.remote = "notificator:50051";
  trace::SpanData bad = s;
  bad.remote = "no-port-here";
  trace::SpanData worst = s;  // every character escaped to \u00XX: the encoder's room estimate must hold
  worst.name = std::string(300, '\x01');
  worst.remote = std::string(100, '\x02') + ":1";
  worst.tags = {{std::string(50, '\x1f'), std::string(70, '\x03')}, {"", ""}};
  const std::string service(40, '\x04');
  auto doc = boost::json::parse(trace::to_zipkin_json({s, bad, worst}, service));
  auto& arr = doc.as_array();
  ASSERT_EQ(arr.size(), 3u);
  EXPECT_EQ(arr[0].at("remoteEndpoint").at("serviceName"), "notificator");
  EXPECT_EQ(arr[0].at("remoteEndpoint").at("port").as_int64(), 50051);
  EXPECT_EQ(arr[0].at("timestamp").as_int64(), std::numeric_limits<std::int64_t>::min());
  EXPECT_TRUE(arr[1].at("remoteEndpoint").as_object().empty());
  EXPECT_EQ(arr[2].at("name").as_string(), worst.name);
  EXPECT_EQ(arr[2].at("remoteEndpoint").at("serviceName").as_string(), std::string(100, '\x02'));
  EXPECT_EQ(arr[2].at("tags").at(std::string(50, '\x1f')).as_string(), std::string(70, '\x03'));
  EXPECT_EQ(arr[2].at("localEndpoint").at("serviceName").as_string(), service);
}

TEST(ZipkinExporter, UnusableUrlsAreRefusedWithTheReason) {
  EXPECT_THROW(trace::ZipkinExporter("https://collector:9411"), std::invalid_argument);
  EXPECT_THROW(trace::ZipkinExporter("collector:9411"), std::invalid_argument);
  EXPECT_THROW(trace::ZipkinExporter("http://"), std::invalid_argument);
  EXPECT_THROW(trace::ZipkinExporter("http://collector:port/api"), std::invalid_argument);
  EXPECT_NE(trace::zipkin_url_error("https://x").find("http://"), std::string::npos);
  EXPECT_EQ(trace::zipkin_url_error("http://127.0.0.1:9411/api/v2/spans"), "");
  EXPECT_EQ(trace::zipkin_url_error("http://zipkin"), "");  // port 9411, path /api/v2/spans
}

trace::SpanData some_span() {
  trace::SpanData s;
  s.context = trace::new_trace(true);
  s.name = "op";
  s.start_us = 1;
  s.duration_us = 1;
  return s;
}

double dropped_metric(const std::string& reason) {
  return svckit::metrics::default_registry()
      .counter("svckit_trace_spans_dropped_total", "", {"reason"})
      .with({reason})
      .value();
}

TEST(ZipkinExporter, AFullQueueDropsNewSpansAndCountsThem) {
  svckit::test::ZipkinCollector collector;
  // Nothing is sent until flush(): the queue holds 10, the other 90 are dropped without waiting.
  trace::ZipkinExporter exporter(collector.url(), {.max_queue = 10, .max_batch = 1000, .flush_interval = 1h});
  const double before = dropped_metric("queue_full");
  for (int i = 0; i < 100; ++i) exporter.export_span(some_span());
  EXPECT_EQ(exporter.dropped(), 90u);
  EXPECT_EQ(dropped_metric("queue_full") - before, 90);
  exporter.flush(10s);
  EXPECT_EQ(exporter.exported(), 10u);
  EXPECT_EQ(collector.spans().size(), 10u);
  EXPECT_EQ(collector.posts(), 1);  // one batch
}

TEST(ZipkinExporter, BatchesAreSentWithoutAFlushOnceFull) {
  svckit::test::ZipkinCollector collector;
  trace::ZipkinExporter exporter(collector.url(), {.max_batch = 5, .flush_interval = 1h});
  for (int i = 0; i < 10; ++i) exporter.export_span(some_span());
  EXPECT_TRUE(wait_until([&] { return collector.spans().size() == 10; }));
  EXPECT_EQ(collector.posts(), 2);
}

TEST(ZipkinExporter, SpansOfEveryThreadAreSentIncludingThoseOfThreadsThatEnded) {
  svckit::test::ZipkinCollector collector;
  // Each thread fills batches of its own: 2 full ones each (sent without a flush) and a partial one that
  // waits in the batch of a thread that has exited by the time flush() collects it.
  trace::ZipkinExporter exporter(collector.url(), {.max_batch = 100, .flush_interval = 1h});
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t)
    threads.emplace_back([&, t] {
      for (int i = 0; i < 250; ++i) {
        auto s = some_span();
        s.name = "t" + std::to_string(t) + "-" + std::to_string(i);
        exporter.export_span(std::move(s));
      }
    });
  for (auto& t : threads) t.join();
  exporter.flush(10s);
  EXPECT_EQ(exporter.exported(), 1000u);
  EXPECT_EQ(exporter.dropped(), 0u);
  std::set<std::string> names;
  for (const auto& s : collector.spans()) names.insert(std::string(s.at("name").as_string()));
  EXPECT_EQ(names.size(), 1000u) << "every span once";
  EXPECT_EQ(collector.posts(), 12);  // 8 full batches, then 4 partial ones
}

TEST(ZipkinExporter, TheQueueBoundHoldsAcrossThreads) {
  svckit::test::ZipkinCollector collector;
  // Threads reserve room in the queue in chunks (64 here): together they never hold more than max_queue,
  // and a thread that stops exporting can leave at most one chunk unused.
  trace::ZipkinExporter exporter(collector.url(), {.max_queue = 6400, .max_batch = 100000, .flush_interval = 1h});
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t)
    threads.emplace_back([&] {
      for (int i = 0; i < 4000; ++i) exporter.export_span(some_span());
    });
  for (auto& t : threads) t.join();
  exporter.flush(10s);
  EXPECT_EQ(exporter.exported() + exporter.dropped(), 16000u);
  EXPECT_LE(exporter.exported(), 6400u);
  EXPECT_GE(exporter.exported(), 6400u - 4 * 63);
  EXPECT_EQ(collector.spans().size(), exporter.exported());
}

// Servers on loopback with tracing on, exporting to a collector on loopback.
class Tracing : public ::testing::Test {
 protected:
  void SetUp() override {
    zipkin_ = std::make_shared<trace::ZipkinExporter>(collector_.url(), trace::ZipkinOptions{.flush_interval = 20ms});
    trace::set_exporter(zipkin_, {.service_name = "test"});
  }
  void TearDown() override {
    trace::set_exporter(nullptr);
    for (auto& s : http_) s->shutdown(std::chrono::steady_clock::now() + 2s);
    if (grpc_) grpc_->shutdown(std::chrono::steady_clock::now() + 2s);
    // Deliver this test's last spans while its collector still listens: left queued, they would fail to
    // export later and count in the next test's drop metrics (when tests share a process).
    zipkin_->flush(2s);
    io_.stop();
    io_.join();
    svckit::log::configure(svckit::log::Level::Info, svckit::log::Format::Logfmt);
  }

  /// A gRPC backend whose first `failures` calls answer UNAVAILABLE; returns its address.
  std::string start_grpc_backend(int failures = 0) {
    grpc_ = std::make_shared<svckit::grpc::Server>(io_, svckit::grpc::ServerOptions{.address = "127.0.0.1:0"});
    grpc_->add("/test.Echo/Echo", Endpoint([this, failures](const svckit::Context&, const EchoRequest& r)
                                               -> asio::awaitable<svckit::Result<EchoReply>> {
                 if (backend_calls_.fetch_add(1) < failures) co_return svckit::unavailable("warming up");
                 EchoReply out;
                 out.set_v(r.s());
                 co_return out;
               }));
    grpc_->start();
    return "127.0.0.1:" + std::to_string(grpc_->port());
  }

  std::uint16_t start_http(svckit::http::Router router) {
    auto s = std::make_shared<svckit::http::Server>(io_, svckit::http::ServerOptions{.address = "127.0.0.1:0"},
                                                    std::move(router));
    s->start();
    http_.push_back(s);
    return s->port();
  }

  /// A front HTTP service: POST /front calls `downstream` with the request's Context, inside the given
  /// middleware; it answers with the trace id and span id it ran in.
  std::uint16_t start_front(Endpoint downstream, svckit::Middleware<EchoRequest, EchoReply> mw = nullptr) {
    Endpoint front = [downstream](const svckit::Context& ctx, const EchoRequest& r) -> asio::awaitable<svckit::Result<EchoReply>> {
      auto res = co_await downstream(ctx, r);
      if (!res.ok()) co_return res.status();
      svckit::log::Logger("front").for_request(ctx).info("downstream answered");
      EchoReply out;
      out.set_v(trace::trace_id_hex(ctx.span()) + "/" + trace::span_id_hex(ctx.span().span_id));
      co_return out;
    };
    if (mw) front = mw(std::move(front));
    svckit::http::Router router;
    router.add(svckit::http::Verb::post, "/front", svckit::http::serve(std::move(front)));
    return start_http(std::move(router));
  }

  /// A raw HTTP request to POST /front with exactly this traceparent header (svckit's client would write
  /// its own); returns the reply's v.
  std::string post_front(std::uint16_t port, std::string_view traceparent) {
    asio::io_context io;
    asio::ip::tcp::socket sock(io);
    sock.connect({asio::ip::make_address("127.0.0.1"), port});
    boost::beast::http::request<boost::beast::http::string_body> req{boost::beast::http::verb::post, "/front", 11};
    req.set(boost::beast::http::field::host, "t");
    req.set(boost::beast::http::field::content_type, "application/json");
    if (!traceparent.empty()) req.set("traceparent", traceparent);
    req.body() = R"({"s":"x"})";
    req.prepare_payload();
    boost::beast::http::write(sock, req);
    boost::beast::flat_buffer buf;
    svckit::http::Response res;
    boost::beast::http::read(sock, buf, res);
    EXPECT_EQ(res.result_int(), 200u) << res.body();
    auto doc = boost::json::parse(res.body());
    return std::string(doc.at("v").as_string());
  }

  std::vector<boost::json::object> wait_for_trace(std::string_view trace_id, std::size_t spans) {
    zipkin_->flush(5s);
    wait_until([&] { return collector_.trace(trace_id).size() >= spans; });
    return collector_.trace(trace_id);
  }

  svckit::test::ZipkinCollector collector_;
  std::shared_ptr<trace::ZipkinExporter> zipkin_;
  svckit::IoPool io_{2};
  std::vector<std::shared_ptr<svckit::http::Server>> http_;
  std::shared_ptr<svckit::grpc::Server> grpc_;
  std::atomic<int> backend_calls_{0};
};

TEST_F(Tracing, OneTraceFollowsARequestThroughHttpAndGrpcWithCorrectParents) {
  const auto backend = start_grpc_backend();
  auto grpc_call = svckit::grpc::client_endpoint<EchoRequest, EchoReply>(svckit::grpc::make_channel(backend),
                                                                                   "/test.Echo/Echo");
  const auto port = start_front(grpc_call);
  io_.start();

  const std::string v = post_front(port, kW3cExample);
  EXPECT_EQ(v.substr(0, 32), "4bf92f3577b34da6a3ce929d0e0e4736");  // the endpoint ran in the caller's trace

  auto spans = wait_for_trace("4bf92f3577b34da6a3ce929d0e0e4736", 3);
  ASSERT_EQ(spans.size(), 3u) << boost::json::serialize(boost::json::value_from(spans));
  auto server = find_span(spans, "SERVER", "POST /front");
  auto client = find_span(spans, "CLIENT", "test.Echo/Echo");
  auto backend_server = find_span(spans, "SERVER", "test.Echo/Echo");
  ASSERT_TRUE(server && client && backend_server);
  EXPECT_EQ(str(*server, "parentId"), "00f067aa0ba902b7");  // the caller's span
  EXPECT_EQ(str(*server, "id"), v.substr(33));               // the span the endpoint saw in its Context
  EXPECT_EQ(str(*client, "parentId"), str(*server, "id"));
  EXPECT_EQ(str(*backend_server, "parentId"), str(*client, "id"));
  EXPECT_EQ(server->at("tags").at("http.status_code"), "200");
  EXPECT_EQ(client->at("remoteEndpoint").at("port").as_int64(), grpc_->port());
  EXPECT_EQ(client->at("tags").at("grpc.status_code"), "0");
  for (const auto& s : spans) EXPECT_EQ(s.at("localEndpoint").at("serviceName"), "test");
}

TEST_F(Tracing, HttpClientCallsAreChildSpansAndCarryTraceparent) {
  svckit::http::Router back;
  back.add(svckit::http::Verb::post, "/back",
           svckit::http::serve(Endpoint([](const svckit::Context& ctx, const EchoRequest&) -> asio::awaitable<svckit::Result<EchoReply>> {
             EchoReply out;
             out.set_v(std::string(ctx.metadata("traceparent")));
             co_return out;
           })));
  const auto back_port = start_http(std::move(back));
  auto client = std::make_shared<svckit::http::Client>("127.0.0.1", back_port);
  auto call_back = svckit::http::json_client<EchoRequest, EchoReply>(client, svckit::http::Verb::post, "/back");
  const auto port = start_front(call_back);
  io_.start();

  const std::string v = post_front(port, kW3cExample);
  auto spans = wait_for_trace("4bf92f3577b34da6a3ce929d0e0e4736", 3);
  auto server = find_span(spans, "SERVER", "POST /front");
  auto out = find_span(spans, "CLIENT", "POST");
  auto back_server = find_span(spans, "SERVER", "POST /back");
  ASSERT_TRUE(server && out && back_server) << boost::json::serialize(boost::json::value_from(spans));
  EXPECT_EQ(str(*out, "parentId"), str(*server, "id"));
  EXPECT_EQ(str(*back_server, "parentId"), str(*out, "id"));
  EXPECT_EQ(out->at("tags").at("http.path"), "/back");
  EXPECT_EQ(out->at("tags").at("http.status_code"), "200");
}

TEST_F(Tracing, AMalformedTraceparentIsIgnoredAndANewTraceStarts) {
  const auto backend = start_grpc_backend();
  const auto port = start_front(svckit::grpc::client_endpoint<EchoRequest, EchoReply>(
      svckit::grpc::make_channel(backend), "/test.Echo/Echo"));
  io_.start();
  for (std::string_view bad : {"00-4BF92F3577B34DA6A3CE929D0E0E4736-00f067aa0ba902b7-01",
                               "00-00000000000000000000000000000000-00f067aa0ba902b7-01", "garbage"}) {
    const std::string v = post_front(port, bad);
    const std::string trace_id = v.substr(0, 32);
    EXPECT_NE(trace_id, "4bf92f3577b34da6a3ce929d0e0e4736");
    EXPECT_NE(trace_id, "00000000000000000000000000000000");
    auto spans = wait_for_trace(trace_id, 3);
    auto server = find_span(spans, "SERVER", "POST /front");
    ASSERT_TRUE(server) << bad;
    EXPECT_FALSE(server->contains("parentId")) << bad;  // a root: nothing of the bad header was kept
    auto backend_server = find_span(spans, "SERVER", "test.Echo/Echo");
    ASSERT_TRUE(backend_server) << bad;  // and the new trace still propagates downstream
  }
}

TEST_F(Tracing, EachRetryThroughTheBalancerIsItsOwnClientSpan) {
  const auto backend = start_grpc_backend(/*failures=*/1);
  auto endpointer = svckit::sd::Endpointer<EchoRequest, EchoReply>::create(
      svckit::sd::StaticInstancer::create(std::vector<std::string>{backend}),
      [](const svckit::sd::Instance& inst) -> svckit::Result<Endpoint> {
        return svckit::grpc::client_endpoint<EchoRequest, EchoReply>(svckit::grpc::make_channel(inst.address),
                                                                               "/test.Echo/Echo");
      },
      svckit::sd::make_balancer("round_robin"), io_.context(0).get_executor(), {.service = "trace-retry"});
  const auto port = start_front(svckit::sd::balanced(endpointer, {.max_attempts = 3}));
  io_.start();

  auto& reg = svckit::metrics::default_registry();
  auto& retries = reg.counter("svckit_client_retries_total", "", {"service"}).with({"trace-retry"});
  auto& ejections = reg.counter("svckit_balancer_ejections_total", "", {"service", "reason"}).with({"trace-retry", "unreachable"});
  auto& calls = reg.counter("svckit_client_requests_total", "", {"service", "instance", "code"});
  const double retries0 = retries.value(), ejections0 = ejections.value();
  const double unavailable0 = calls.with({"trace-retry", backend, "UNAVAILABLE"}).value();
  const double ok0 = calls.with({"trace-retry", backend, "OK"}).value();

  post_front(port, kW3cExample);
  auto spans = wait_for_trace("4bf92f3577b34da6a3ce929d0e0e4736", 5);
  auto server = find_span(spans, "SERVER", "POST /front");
  ASSERT_TRUE(server);
  std::vector<boost::json::object> attempts, served;
  for (const auto& s : spans) {
    if (s.at("kind") == "CLIENT") attempts.push_back(s);
    if (s.at("kind") == "SERVER" && s.at("name") == "test.Echo/Echo") served.push_back(s);
  }
  ASSERT_EQ(attempts.size(), 2u) << boost::json::serialize(boost::json::value_from(spans));
  ASSERT_EQ(served.size(), 2u);
  int failed = 0;
  for (const auto& a : attempts) {
    EXPECT_EQ(str(a, "parentId"), str(*server, "id"));  // siblings under the request's span
    if (a.contains("tags") && a.at("tags").as_object().contains("error")) ++failed;
    // each attempt reached the backend as its own server span
    EXPECT_TRUE(std::any_of(served.begin(), served.end(), [&](const auto& s) { return str(s, "parentId") == str(a, "id"); }));
  }
  EXPECT_EQ(failed, 1);  // the first attempt: UNAVAILABLE
  // The client metrics saw the same: one retry, one ejection (UNAVAILABLE), a call of each outcome.
  EXPECT_EQ(retries.value() - retries0, 1);
  EXPECT_EQ(ejections.value() - ejections0, 1);
  EXPECT_EQ(calls.with({"trace-retry", backend, "UNAVAILABLE"}).value() - unavailable0, 1);
  EXPECT_EQ(calls.with({"trace-retry", backend, "OK"}).value() - ok0, 1);
}

TEST_F(Tracing, EveryLogLineOfTheRequestCarriesItsTraceId) {
  std::mutex mu;
  std::vector<std::string> lines;
  svckit::log::configure(svckit::log::Level::Info, svckit::log::Format::Logfmt, [&](std::string_view line) {
    std::lock_guard lock(mu);
    lines.emplace_back(line);
  });
  const auto backend = start_grpc_backend();
  const auto port = start_front(svckit::grpc::client_endpoint<EchoRequest, EchoReply>(
                                    svckit::grpc::make_channel(backend), "/test.Echo/Echo"),
                                svckit::middleware::Logging{svckit::log::Logger("front"), "front"});
  io_.start();
  post_front(port, kW3cExample);
  svckit::log::configure(svckit::log::Level::Info, svckit::log::Format::Logfmt);  // before `lines` goes away
  std::lock_guard lock(mu);
  int with_trace = 0;
  for (const auto& l : lines)
    if (l.find("logger=front") != std::string::npos) {
      EXPECT_NE(l.find("trace_id=4bf92f3577b34da6a3ce929d0e0e4736"), std::string::npos) << l;
      ++with_trace;
    }
  EXPECT_EQ(with_trace, 2) << "the endpoint's own line and the Logging middleware's call line";
}

TEST_F(Tracing, ACollectorThatIsDownCostsSpansNotRequests) {
  // A port bound but not listening: every export fails at once (connection refused).
  asio::io_context held_io;
  asio::ip::tcp::socket held(held_io);
  held.open(asio::ip::tcp::v4());
  held.bind({asio::ip::make_address("127.0.0.1"), 0});
  auto down = std::make_shared<trace::ZipkinExporter>("http://127.0.0.1:" + std::to_string(held.local_endpoint().port()),
                                                      trace::ZipkinOptions{.flush_interval = 20ms});
  trace::set_exporter(down, {.service_name = "test"});
  const double before = dropped_metric("export_failed");

  const auto backend = start_grpc_backend();
  const auto port = start_front(svckit::grpc::client_endpoint<EchoRequest, EchoReply>(
      svckit::grpc::make_channel(backend), "/test.Echo/Echo"));
  io_.start();
  for (int i = 0; i < 20; ++i) EXPECT_EQ(post_front(port, "").size(), 49u);  // every request still succeeds
  down->flush(10s);
  EXPECT_EQ(down->exported(), 0u);
  EXPECT_EQ(down->dropped(), 60u);  // 3 spans per request
  EXPECT_EQ(dropped_metric("export_failed") - before, 60);
}

}  // namespace
