// Streaming endpoints (svckit/stream_endpoint.hpp) served by svckit::grpc::Server, on gRPC's C++ library
// and on the own wire (own_wire), with middleware around them, called through gRPC's C++ generic stub.
#include <gtest/gtest.h>

#include <atomic>
#include <functional>
#include <future>
#include <mutex>
#include <sstream>
#include <thread>
#include <vector>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>

#include "greeter.pb.h"
#include "support/run.hpp"
#include "svckit/metrics/registry.hpp"
#include "svckit/middleware.hpp"
#include "svckit/middleware/logging.hpp"
#include "svckit/middleware/metrics.hpp"
#include "svckit/middleware/timeout.hpp"
#include "svckit/transport/grpc/client.hpp"
#include "svckit/transport/grpc/server.hpp"
#include "svckit/transport/grpc/wire_channel.hpp"
#include "transport/greeter_bytes.hpp"
#include "transport/grpc_stream_client.hpp"

using namespace svckit;
using namespace std::chrono_literals;
using greeter::HelloReply;
using greeter::HelloRequest;
using test::call_stream;
using test::channel_to;
using test::hello_bytes;
using test::reply_text;
using Stream = StreamEndpoint<HelloRequest, HelloReply>;

namespace {

// Holds coroutines (on any threads) until `n` have arrived, then lets them all go: what makes streams be
// open at the same time. True if all came within `limit`.
class Gate {
 public:
  boost::asio::awaitable<bool> arrive(std::size_t n, std::chrono::milliseconds limit) {
    auto timer = std::make_shared<boost::asio::steady_timer>(co_await boost::asio::this_coro::executor, limit);
    {
      std::lock_guard lock(mu_);
      if (++arrived_ >= n) {
        // (each waiter's executor is one thread, which runs its push and its async_wait in one go: the
        // cancel cannot come between them)
        for (auto& t : waiting_) boost::asio::post(t->get_executor(), [t] { t->cancel(); });
        waiting_.clear();
        co_return true;
      }
      waiting_.push_back(timer);
    }
    auto [ec] = co_await timer->async_wait(boost::asio::as_tuple(boost::asio::use_awaitable));
    co_return ec == boost::asio::error::operation_aborted;
  }

 private:
  std::mutex mu_;
  std::size_t arrived_ = 0;
  std::vector<std::shared_ptr<boost::asio::steady_timer>> waiting_;
};

// Run on both servers: gRPC's C++ library (false) and the own wire (true).
class StreamServer {
 protected:
  void start_server(bool own_wire) {
    server = std::make_unique<svckit::grpc::Server>(io, svckit::grpc::ServerOptions{.address = "127.0.0.1:0", .own_wire = own_wire});
    // "COUNT [fail]": COUNT replies "i:NAME-ish", then OK, or FAILED_PRECONDITION with "fail".
    Stream count = [](const Context& ctx, const HelloRequest& req, StreamWriter<HelloReply>& out) -> boost::asio::awaitable<Status> {
      std::istringstream words(req.name());
      int n = 0;
      std::string fail;
      words >> n >> fail;
      for (int i = 0; i < n; ++i) {
        HelloReply r;
        r.set_message(std::to_string(i) + ":" + ctx.request_id());
        if (!co_await out.write(r)) co_return Status(StatusCode::Cancelled, "gone");
      }
      if (fail == "fail") co_return Status(StatusCode::FailedPrecondition, "stopped after " + std::to_string(n));
      co_return Status();
    };
    server->add_stream("/test.Stream/Count",
                       chain(count, middleware::Logging{log::Logger("test"), "count"},
                             middleware::Metrics{"test", "count", &registry}));
    // A message every 10 ms until the stream is over; counts how its handlers ended.
    Stream forever = [this](const Context&, const HelloRequest&, StreamWriter<HelloReply>& out) -> boost::asio::awaitable<Status> {
      struct Ended {
        std::atomic<int>& n;
        ~Ended() { ++n; }
      } ended{forever_ended};
      HelloReply r;
      r.set_message("tick");
      for (;;) {
        if (!co_await out.write(r)) co_return Status(StatusCode::Cancelled, "gone");
        boost::asio::steady_timer t(co_await boost::asio::this_coro::executor, 10ms);
        co_await t.async_wait(boost::asio::use_awaitable);
      }
    };
    server->add_stream("/test.Stream/Forever", forever);
    server->add_stream("/test.Stream/Bounded", chain(forever, middleware::Timeout{300ms}));
    // Sends nothing; waits until the call is over.
    server->add_stream("/test.Stream/Silent", Stream([this](const Context&, const HelloRequest&,
                                                            StreamWriter<HelloReply>&) -> boost::asio::awaitable<Status> {
      struct Ended {
        std::atomic<int>& n;
        ~Ended() { ++n; }
      } ended{silent_ended};
      ++silent_started;
      boost::asio::steady_timer t(co_await boost::asio::this_coro::executor, 1h);
      co_await t.async_wait(boost::asio::use_awaitable);
      co_return Status();
    }));
    // As fast as the client takes them: 1 KiB messages, counting what was written.
    Stream flood = [this](const Context&, const HelloRequest&, StreamWriter<HelloReply>& out) -> boost::asio::awaitable<Status> {
      struct Ended {
        std::atomic<int>& n;
        ~Ended() { ++n; }
      } ended{flood_ended};
      HelloReply r;
      r.set_message(std::string(1024, 'f'));
      while (co_await out.write(r)) flood_bytes += r.ByteSizeLong();
      co_return Status(StatusCode::Cancelled, "gone");
    };
    server->add_stream("/test.Stream/Flood", flood);
    // Always writing: a Timeout strikes while a write is with the transport.
    server->add_stream("/test.Stream/BoundedFlood", chain(flood, middleware::Timeout{300ms}));
    // "N": waits until N of these streams are open (30 s at most), then replies "met" (else "alone").
    server->add_stream("/test.Stream/Gather", Stream([this](const Context&, const HelloRequest& req,
                                                            StreamWriter<HelloReply>& out) -> boost::asio::awaitable<Status> {
      const bool all_came = co_await gate.arrive(std::stoul(req.name()), 30s);
      HelloReply r;
      r.set_message(all_came ? "met" : "alone");
      co_await out.write(r);
      co_return Status();
    }));
    server->start();
    io.start();
    address = "127.0.0.1:" + std::to_string(server->port());
  }
  void stop_server() {
    if (!shut_down) server->shutdown(std::chrono::steady_clock::now() + 5s);
    io.stop();
    io.join();
  }

  IoPool io{2};
  metrics::Registry registry;
  std::unique_ptr<svckit::grpc::Server> server;
  std::string address;
  bool shut_down = false;
  std::atomic<int> forever_ended{0}, flood_ended{0}, silent_ended{0}, silent_started{0};
  std::atomic<std::size_t> flood_bytes{0};
  Gate gate;
};

class GrpcStreamEndpoint : public StreamServer, public ::testing::TestWithParam<bool> {
 protected:
  void SetUp() override { start_server(GetParam()); }
  void TearDown() override { stop_server(); }
};

INSTANTIATE_TEST_SUITE_P(BothServers, GrpcStreamEndpoint, ::testing::Values(false, true),
                         [](const auto& info) { return info.param ? "OwnWire" : "GrpcCpp"; });

TEST_P(GrpcStreamEndpoint, EveryMessageArrivesInOrderThenTheStatus) {
  ::grpc::ClientContext ctx;
  ctx.AddMetadata("x-request-id", "req-7");
  auto r = call_stream(address, "/test.Stream/Count", hello_bytes("50"), ctx);
  ASSERT_TRUE(r.status.ok()) << r.status.error_message();
  ASSERT_EQ(r.messages.size(), 50u);
  for (std::size_t i = 0; i < r.messages.size(); ++i) EXPECT_EQ(reply_text(r.messages[i]), std::to_string(i) + ":req-7");
  // The middleware saw one call of 50 messages.
  const auto text = registry.expose();
  EXPECT_NE(text.find("svckit_requests_total{service=\"test\",method=\"count\",code=\"OK\"} 1\n"), std::string::npos) << text;
  EXPECT_NE(text.find("svckit_stream_messages_total{service=\"test\",method=\"count\"} 50\n"), std::string::npos) << text;
}

TEST_P(GrpcStreamEndpoint, AnErrorEndsTheStreamAfterItsMessages) {
  ::grpc::ClientContext ctx;
  auto r = call_stream(address, "/test.Stream/Count", hello_bytes("3 fail"), ctx);
  EXPECT_EQ(r.messages.size(), 3u);
  EXPECT_EQ(r.status.error_code(), ::grpc::StatusCode::FAILED_PRECONDITION);
  EXPECT_EQ(r.status.error_message(), "stopped after 3");
  ::grpc::ClientContext none;
  r = call_stream(address, "/test.Stream/Count", hello_bytes("0 fail"), none);
  EXPECT_TRUE(r.messages.empty());
  EXPECT_EQ(r.status.error_code(), ::grpc::StatusCode::FAILED_PRECONDITION);
}

TEST_P(GrpcStreamEndpoint, ARequestThatDoesNotParseIsInvalidArgument) {
  ::grpc::ClientContext ctx;
  auto r = call_stream(address, "/test.Stream/Count", std::string("\xff\xff\xff", 3), ctx);
  EXPECT_TRUE(r.messages.empty());
  EXPECT_EQ(r.status.error_code(), ::grpc::StatusCode::INVALID_ARGUMENT) << r.status.error_message();
}

TEST_P(GrpcStreamEndpoint, AClientThatCancelsEndsTheHandler) {
  ::grpc::ClientContext ctx;
  int seen = 0;
  auto r = call_stream(address, "/test.Stream/Forever", hello_bytes(""), ctx, [&](const std::string&) { return ++seen < 3; });
  EXPECT_EQ(r.status.error_code(), ::grpc::StatusCode::CANCELLED);
  EXPECT_TRUE(test::wait_until([&] { return forever_ended == 1; }, 10s)) << "the handler ended";
  EXPECT_TRUE(test::wait_until([&] { return server->in_flight() == 0; }, 10s));
}

TEST_P(GrpcStreamEndpoint, TheCallersDeadlineEndsTheStream) {
  auto channel = channel_to(address);  // connected first: set-up must not use up the deadline (TSan)
  ::grpc::ClientContext warm_up;
  ASSERT_TRUE(call_stream(channel, "/test.Stream/Count", hello_bytes("1"), warm_up).status.ok());
  ::grpc::ClientContext ctx;
  ctx.set_deadline(std::chrono::system_clock::now() + 500ms);
  auto r = call_stream(channel, "/test.Stream/Forever", hello_bytes(""), ctx);
  EXPECT_EQ(r.status.error_code(), ::grpc::StatusCode::DEADLINE_EXCEEDED);
  EXPECT_FALSE(r.messages.empty());
  EXPECT_TRUE(test::wait_until([&] { return forever_ended == 1; }, 10s));
  EXPECT_TRUE(test::wait_until([&] { return server->in_flight() == 0; }, 10s));
}

TEST_P(GrpcStreamEndpoint, ATimeoutMiddlewareEndsTheStreamWithDeadlineExceeded) {
  ::grpc::ClientContext ctx;
  ctx.set_deadline(std::chrono::system_clock::now() + 30s);
  auto r = call_stream(address, "/test.Stream/Bounded", hello_bytes(""), ctx);
  EXPECT_EQ(r.status.error_code(), ::grpc::StatusCode::DEADLINE_EXCEEDED) << r.status.error_message();
  EXPECT_FALSE(r.messages.empty());
  EXPECT_TRUE(test::wait_until([&] { return forever_ended == 1; }, 10s));
}

// A Timeout that strikes while a write is with the transport (a flood is always writing) still ends the
// stream with DEADLINE_EXCEEDED: the write is given up, not the call cancelled.
TEST_P(GrpcStreamEndpoint, ATimeoutStrikingDuringAWriteStillEndsWithDeadlineExceeded) {
  auto channel = channel_to(address);  // connected first: set-up must not use up the timeout (TSan)
  ::grpc::ClientContext warm_up;
  ASSERT_TRUE(call_stream(channel, "/test.Stream/Count", hello_bytes("1"), warm_up).status.ok());
  for (int i = 0; i < 3; ++i) {
    ::grpc::ClientContext ctx;
    ctx.set_deadline(std::chrono::system_clock::now() + 30s);
    std::size_t seen = 0;
    auto r = call_stream(channel, "/test.Stream/BoundedFlood", hello_bytes(""), ctx, [&](const std::string&) {
      ++seen;
      return true;
    });
    EXPECT_EQ(r.status.error_code(), ::grpc::StatusCode::DEADLINE_EXCEEDED) << "run " << i << ": " << r.status.error_message();
    EXPECT_GT(seen, 0u);
  }
  EXPECT_TRUE(test::wait_until([&] { return flood_ended == 3; }, 10s));
}

// A Timeout that strikes while the client has stopped reading: the handler's stuck write is given up and
// the handler ends on time, though the message never left; the client, reading again later, gets the
// replies written before and an error, never OK.
TEST_P(GrpcStreamEndpoint, ATimeoutEndsTheHandlerOfAStreamWhoseReaderStopped) {
  test::PausedStream call(channel_to(address), "/test.Stream/BoundedFlood", hello_bytes(""),
                          std::chrono::system_clock::now() + 30s);
  ASSERT_TRUE(call.started());
  EXPECT_TRUE(test::wait_until([&] { return flood_ended == 1; }, 10s)) << "the handler still waits on its write";
  EXPECT_GT(call.read_all(), 0u);
  EXPECT_FALSE(call.finish().ok());
}

// A stream that stays quiet for many keepalive periods of the own wire's client is not ended by its pings:
// the server answers them, and the stream ends at its own deadline. (The own wire's client sends at most two
// pings while no data comes, as the grpc++ client does; against grpc-go's ping policy, see
// GokitServer.ASlowCallOutlivesTheOwnWiresKeepalivePings.)
TEST_P(GrpcStreamEndpoint, AQuietStreamOutlivesTheWireClientsKeepalivePings) {
  auto channel = svckit::grpc::WireChannel::create(address, {.keepalive_time = 50ms, .keepalive_timeout = 1s});
  auto ep = svckit::grpc::wire_client_stream_endpoint<HelloRequest, HelloReply>(channel, "/test.Stream/Silent");
  auto status = boost::asio::co_spawn(io.context(0), [ep]() -> boost::asio::awaitable<Status> {
    auto sink = stream_to<HelloReply>([](const HelloReply&) -> boost::asio::awaitable<bool> { co_return true; });
    Context ctx;
    ctx.set_timeout(2s);
    HelloRequest req;
    co_return co_await ep(ctx, req, sink);
  }, boost::asio::use_future);
  ASSERT_EQ(status.wait_for(30s), std::future_status::ready);
  const Status s = status.get();
  EXPECT_EQ(s.code(), StatusCode::DeadlineExceeded) << s;
  EXPECT_TRUE(test::wait_until([&] { return silent_ended == 1; }, 10s));
  channel.reset();
}

// A client that stops reading: the handler's writes wait (they do not queue without bound), and when the
// client goes away the handler ends.
TEST_P(GrpcStreamEndpoint, AClientThatStopsReadingHoldsUpTheHandler) {
  test::PausedStream call(channel_to(address), "/test.Stream/Flood", hello_bytes(""),
                          std::chrono::system_clock::now() + 60s);
  ASSERT_TRUE(call.started());
  // Never read. The writes stop once the windows and buffers between are full: for 2 s (in which an
  // unheld flood writes hundreds of MB) what was written never reaches 16 MiB.
  ASSERT_TRUE(test::wait_until([&] { return flood_bytes > 0; }, 20s)) << "the handler never wrote";
  EXPECT_FALSE(test::wait_until([&] { return flood_bytes >= (std::size_t{16} << 20); }, 2s))
      << "written while nobody read: " << flood_bytes;
  call.cancel();
  call.finish();
  EXPECT_TRUE(test::wait_until([&] { return flood_ended == 1; }, 10s)) << "the handler ended with the call";
}

TEST_P(GrpcStreamEndpoint, ShutdownEndsStreamsStillOpen) {
  std::promise<test::StreamResult> result;
  std::atomic<bool> flowing{false};
  std::thread client([&] {
    ::grpc::ClientContext ctx;
    result.set_value(call_stream(address, "/test.Stream/Forever", hello_bytes(""), ctx, [&](const std::string&) {
      flowing = true;
      return true;
    }));
  });
  // The stream is open and its messages reach the client before the server shuts down.
  ASSERT_TRUE(test::wait_until([&] { return flowing.load(); }, 10s));
  server->shutdown(std::chrono::steady_clock::now() + 500ms);
  shut_down = true;
  auto r = result.get_future().get();
  client.join();
  EXPECT_FALSE(r.status.ok());
  EXPECT_FALSE(r.messages.empty());
  EXPECT_TRUE(test::wait_until([&] { return forever_ended == 1; }, 10s)) << "the handler ended";
}

// ---- The clients: grpc::client_stream_endpoint (gRPC's C++ library) and grpc::wire_client_stream_endpoint
// (the own wire), each against both servers. ----

struct ClientCase {
  bool own_wire_server;
  bool wire_client;
};

class GrpcStreamClient : public StreamServer, public ::testing::TestWithParam<ClientCase> {
 protected:
  void SetUp() override { start_server(GetParam().own_wire_server); }
  void TearDown() override {
    wire.reset();  // its connections live on the io threads: before they stop
    stop_server();
  }

  Stream client(const std::string& method) {
    if (GetParam().wire_client) {
      if (!wire) wire = svckit::grpc::WireChannel::create(address);
      return svckit::grpc::wire_client_stream_endpoint<HelloRequest, HelloReply>(wire, method);
    }
    if (!channel) channel = svckit::grpc::make_channel(address);
    return svckit::grpc::client_stream_endpoint<HelloRequest, HelloReply>(channel, method);
  }

  // Calls ep (a 60 s deadline) with `sink` from an io thread and gives up, cancelling the call, once
  // `ready()` holds (polled every 5 ms); true if the caller gave up before the call ended by itself.
  bool give_up_once(const Stream& ep, StreamWriter<HelloReply>& sink, const std::function<bool()>& ready) {
    auto fut = boost::asio::co_spawn(io.context(0), [&]() -> boost::asio::awaitable<bool> {
      using namespace boost::asio::experimental::awaitable_operators;
      auto when_ready = [&]() -> boost::asio::awaitable<void> {
        boost::asio::steady_timer poll(co_await boost::asio::this_coro::executor);
        while (!ready()) {
          poll.expires_after(5ms);
          co_await poll.async_wait(boost::asio::use_awaitable);
        }
      };
      Context ctx;
      ctx.set_timeout(60s);
      HelloRequest req;
      auto winner = co_await (ep(ctx, req, sink) || when_ready());
      co_return winner.index() == 1;
    }, boost::asio::use_future);
    EXPECT_EQ(fut.wait_for(30s), std::future_status::ready) << "the cancelled call ended";
    return fut.wait_for(0s) == std::future_status::ready && fut.get();
  }

  // Runs ep on an io thread (where the own wire's client calls from) with a writer collecting the replies;
  // `delay` before taking each, `keep` of them at most (then the writer refuses).
  struct Outcome {
    Status status;
    std::vector<std::string> replies;
  };
  Outcome run(const Stream& ep, const std::string& name, Context ctx = {}, std::chrono::milliseconds delay = 0ms,
              std::size_t keep = 1u << 30) {
    auto outcome = std::make_shared<Outcome>();
    auto fut = boost::asio::co_spawn(io.context(0), [=]() -> boost::asio::awaitable<void> {
      auto sink = stream_to<HelloReply>([=](const HelloReply& r) -> boost::asio::awaitable<bool> {
        if (outcome->replies.size() >= keep) co_return false;
        if (delay > 0ms) {
          boost::asio::steady_timer t(co_await boost::asio::this_coro::executor, delay);
          co_await t.async_wait(boost::asio::use_awaitable);
        }
        outcome->replies.push_back(r.message());
        co_return true;
      });
      HelloRequest req;
      req.set_name(name);
      outcome->status = co_await ep(ctx, req, sink);
    }, boost::asio::use_future);
    EXPECT_EQ(fut.wait_for(30s), std::future_status::ready);
    fut.get();
    return *outcome;
  }

  std::shared_ptr<::grpc::Channel> channel;
  std::shared_ptr<svckit::grpc::WireChannel> wire;
};

INSTANTIATE_TEST_SUITE_P(BothClientsBothServers, GrpcStreamClient,
                         ::testing::Values(ClientCase{false, false}, ClientCase{true, false}, ClientCase{false, true},
                                           ClientCase{true, true}),
                         [](const auto& info) {
                           return std::string(info.param.wire_client ? "WireClient" : "GrpcCppClient") +
                                  (info.param.own_wire_server ? "ToOwnWire" : "ToGrpcCpp");
                         });

TEST_P(GrpcStreamClient, TheWriterGetsEveryReplyInOrderThenTheStatus) {
  metrics::Registry client_metrics;
  auto ep = chain(client("/test.Stream/Count"), middleware::Metrics{"client", "count", &client_metrics});
  Context ctx;
  ASSERT_TRUE(ctx.set_request_id("req-9"));
  auto r = run(ep, "300", ctx);
  ASSERT_TRUE(r.status.ok()) << r.status;
  ASSERT_EQ(r.replies.size(), 300u);
  for (std::size_t i = 0; i < r.replies.size(); ++i) ASSERT_EQ(r.replies[i], std::to_string(i) + ":req-9");
  EXPECT_NE(client_metrics.expose().find("svckit_stream_messages_total{service=\"client\",method=\"count\"} 300\n"),
            std::string::npos);
}

TEST_P(GrpcStreamClient, AnErrorComesAfterTheRepliesBeforeIt) {
  auto r = run(client("/test.Stream/Count"), "4 fail");
  EXPECT_EQ(r.status.code(), StatusCode::FailedPrecondition) << r.status;
  EXPECT_EQ(r.status.message(), "stopped after 4");
  EXPECT_EQ(r.replies.size(), 4u);
  r = run(client("/test.Stream/Nope"), "");
  EXPECT_EQ(r.status.code(), StatusCode::Unimplemented) << r.status;
}

TEST_P(GrpcStreamClient, AWriterThatRefusesEndsTheCallAndTheServersHandler) {
  auto r = run(client("/test.Stream/Forever"), "", {}, 0ms, 3);
  EXPECT_EQ(r.status.code(), StatusCode::Cancelled) << r.status;
  EXPECT_EQ(r.replies.size(), 3u);
  EXPECT_TRUE(test::wait_until([&] { return forever_ended == 1; }, 10s)) << "the server's handler ended";
}

TEST_P(GrpcStreamClient, TheCallersDeadlineEndsTheStreamOnBothSides) {
  (void)run(client("/test.Stream/Count"), "1");  // connected first: set-up must not use up the deadline (TSan)
  Context ctx;
  ctx.set_timeout(400ms);
  auto r = run(client("/test.Stream/Forever"), "", ctx);
  EXPECT_EQ(r.status.code(), StatusCode::DeadlineExceeded) << r.status;
  EXPECT_FALSE(r.replies.empty());
  EXPECT_TRUE(test::wait_until([&] { return forever_ended == 1; }, 10s));
}

TEST_P(GrpcStreamClient, ACancelledCallerCancelsTheStream) {
  // The caller gives up once the server's handler is running (not on a timer: under ThreadSanitizer the
  // connection's set-up alone outlasted one, and a call cancelled before it was sent reaches no handler),
  // long before the call's deadline, while no message is on its way: the call ends at once and the
  // server's handler with it.
  auto sink = stream_to<HelloReply>([](const HelloReply&) -> boost::asio::awaitable<bool> { co_return true; });
  EXPECT_TRUE(give_up_once(client("/test.Stream/Silent"), sink, [this] { return silent_started > 0; }))
      << "the caller gave up first";
  EXPECT_TRUE(test::wait_until([&] { return silent_ended == 1; }, 10s)) << "the server's handler ended";
}

TEST_P(GrpcStreamClient, ACallerCancelledWhileItsWriterRunsCancelsTheStream) {
  // The writer takes the first reply and then waits; the caller gives up meanwhile (its writer's wait
  // ends with operation_aborted, out through the call). The stream must not stay open until its deadline
  // (60 s): the server's handler ends at once.
  std::atomic<bool> writing{false};
  auto sink = stream_to<HelloReply>([&](const HelloReply&) -> boost::asio::awaitable<bool> {
    writing = true;
    boost::asio::steady_timer t(co_await boost::asio::this_coro::executor, 1h);
    co_await t.async_wait(boost::asio::use_awaitable);
    co_return true;
  });
  EXPECT_TRUE(give_up_once(client("/test.Stream/Forever"), sink, [&] { return writing.load(); })) << "the caller gave up first";
  EXPECT_TRUE(test::wait_until([&] { return forever_ended == 1; }, 10s)) << "the server's handler ended";
}

// Many streams open at once on one connection: each handler waits until all have arrived, so 1000 are open
// together; 200 more than the server's 1000 concurrent streams per connection wait on the client's side
// for a slot (HTTP/2 SETTINGS_MAX_CONCURRENT_STREAMS) instead of failing.
TEST_P(GrpcStreamClient, AThousandStreamsAreOpenAtOnceAndMoreWaitForASlot) {
  constexpr int kStreams = 1200;
  auto ep = client("/test.Stream/Gather");
  std::atomic<int> ok{0}, met{0};
  std::vector<std::future<void>> calls;
  for (int i = 0; i < kStreams; ++i)
    calls.push_back(boost::asio::co_spawn(io.context(static_cast<std::size_t>(i % 2)), [&, ep]() -> boost::asio::awaitable<void> {
      auto sink = stream_to<HelloReply>([&](const HelloReply& r) -> boost::asio::awaitable<bool> {
        if (r.message() == "met") ++met;
        co_return true;
      });
      Context ctx;
      ctx.set_timeout(60s);
      HelloRequest req;
      req.set_name("1000");
      if ((co_await ep(ctx, req, sink)).ok()) ++ok;
    }, boost::asio::use_future));
  for (auto& c : calls) ASSERT_EQ(c.wait_for(90s), std::future_status::ready);
  EXPECT_EQ(ok.load(), kStreams);
  EXPECT_EQ(met.load(), kStreams) << "each handler saw 1000 streams open together";
}

TEST_P(GrpcStreamClient, ASlowWriterHoldsUpTheServerNotTheClientsMemory) {
  std::atomic<bool> done{false};
  std::thread caller([&] {
    (void)run(client("/test.Stream/Flood"), "", {}, 20ms, 50);  // 50 replies in about a second, then it ends the call
    done = true;
  });
  ASSERT_TRUE(test::wait_until([&] { return done.load(); }, 30s));
  caller.join();
  // A flood nobody held up writes hundreds of MB a second; held up, the windows and buffers between are all.
  EXPECT_LT(flood_bytes.load(), std::size_t{16} << 20) << "written while the writer was slow";
  EXPECT_TRUE(test::wait_until([&] { return flood_ended == 1; }, 10s)) << "the server's handler ended";
}

}  // namespace
