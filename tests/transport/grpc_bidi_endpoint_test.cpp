// Client and bidirectional streaming as typed endpoints (BidiEndpoint): served by WireServer::add_bidi
// with svckit's middleware, called through wire_client_bidi_endpoint (and, for the server, by gRPC's C++
// generic stub: a client nobody here wrote).
#include <gtest/gtest.h>

#include <atomic>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/use_future.hpp>

#include "greeter.pb.h"
#include "support/run.hpp"
#include "svckit/log.hpp"
#include "svckit/metrics/registry.hpp"
#include "svckit/middleware.hpp"
#include "svckit/middleware/logging.hpp"
#include "svckit/middleware/metrics.hpp"
#include "svckit/middleware/timeout.hpp"
#include "svckit/transport/grpc/wire_channel.hpp"
#include "svckit/transport/grpc/wire_server.hpp"
#include "transport/greeter_bytes.hpp"
#include "transport/grpc_stream_client.hpp"
#include "transport/serving.hpp"
#include "transport/silent_server.hpp"

using namespace svckit;
using namespace std::chrono_literals;
using greeter::HelloReply;
using greeter::HelloRequest;
using Bidi = BidiEndpoint<HelloRequest, HelloReply>;
namespace asio = boost::asio;

namespace {

HelloRequest named(const std::string& name) {
  HelloRequest r;
  r.set_name(name);
  return r;
}
HelloReply saying(const std::string& message) {
  HelloReply r;
  r.set_message(message);
  return r;
}

// Counts a handler's end, however it ends.
struct Ended {
  std::atomic<int>& n;
  ~Ended() { ++n; }
};

// A caller that sends its next request only once the reply to the last has come: the requests' reader
// waits for the replies' writer. Both run on the call's thread.
class LockStep {
 public:
  explicit LockStep(std::vector<std::string> names) : names_(std::move(names)) {}
  StreamReader<HelloRequest>& requests() { return requests_; }
  StreamWriter<HelloReply>& replies() { return replies_; }
  const std::vector<std::string>& got() const { return got_; }

 private:
  asio::awaitable<std::optional<HelloRequest>> next() {
    if (!gate_) gate_.emplace(co_await asio::this_coro::executor, std::chrono::steady_clock::time_point::max());
    while (got_.size() < sent_) {  // the last reply has not come yet
      gate_->expires_at(std::chrono::steady_clock::time_point::max());
      co_await gate_->async_wait(asio::as_tuple(asio::use_awaitable));
      auto cs = co_await asio::this_coro::cancellation_state;
      if (cs.cancelled() != asio::cancellation_type::none) co_return std::nullopt;
    }
    if (sent_ == names_.size()) co_return std::nullopt;
    co_return named(names_[sent_++]);
  }
  asio::awaitable<bool> take(const HelloReply& r) {
    got_.push_back(r.message());
    if (gate_) gate_->cancel();
    co_return true;
  }

  std::vector<std::string> names_;
  std::size_t sent_ = 0;
  std::vector<std::string> got_;
  std::optional<asio::steady_timer> gate_;
  FunctionStreamReader<HelloRequest> requests_{[this] { return next(); }};
  FunctionStreamWriter<HelloReply> replies_{[this](const HelloReply& r) { return take(r); }};
};

class BidiEndpoints : public ::testing::Test {
 protected:
  void SetUp() override {
    server = std::make_unique<svckit::grpc::WireServer>(io, svckit::grpc::WireServerOptions{.address = "127.0.0.1:0"});
    // "echo NAME" for each request, as each comes.
    Bidi echo = [this](const Context&, StreamReader<HelloRequest>& in, StreamWriter<HelloReply>& out) -> asio::awaitable<Status> {
      Ended ended{echo_ended};
      while (auto req = co_await in.read())
        if (!co_await out.write(saying("echo " + req->name()))) co_return Status(StatusCode::Cancelled, "gone");
      co_return Status();
    };
    server->add_bidi("/test.Chat/Echo", chain(echo, middleware::Logging{log::Logger("test"), "echo"},
                                              middleware::Metrics{"test", "echo", &registry}));
    // Client streaming: one reply, "COUNT NAMES", after the client's last request.
    server->add_bidi("/test.Chat/Join", Bidi([](const Context&, StreamReader<HelloRequest>& in,
                                                 StreamWriter<HelloReply>& out) -> asio::awaitable<Status> {
      std::vector<std::string> names;
      while (auto req = co_await in.read()) names.push_back(req->name());
      std::string joined;
      for (const auto& n : names) joined += (joined.empty() ? "" : ",") + n;
      co_await out.write(saying(std::to_string(names.size()) + " " + joined));
      co_return Status();
    }));
    // Reads nothing, writes nothing: ended by the Timeout middleware.
    Bidi hold = [this](const Context&, StreamReader<HelloRequest>&, StreamWriter<HelloReply>&) -> asio::awaitable<Status> {
      Ended ended{hold_ended};
      asio::steady_timer forever(co_await asio::this_coro::executor, 60s);
      co_await forever.async_wait(asio::use_awaitable);  // throws when cancelled
      co_return Status();
    };
    server->add_bidi("/test.Chat/Bounded", chain(hold, middleware::Timeout{300ms}));
    address = test::start_serving(*server, io);
    channel = svckit::grpc::WireChannel::create(address);
  }
  void TearDown() override {
    channel.reset();  // its connections live on the io threads: before they stop
    test::stop_serving(*server, io);
  }
  // The typed client's call, from an io thread.
  Status call(const Bidi& ep, StreamReader<HelloRequest>& in, StreamWriter<HelloReply>& out, std::chrono::milliseconds timeout = 20s) {
    return asio::co_spawn(io.context(0), [&ep, &in, &out, timeout]() -> asio::awaitable<Status> {
      Context ctx;
      ctx.set_timeout(timeout);
      co_return co_await ep(ctx, in, out);
    }, asio::use_future).get();
  }
  Bidi client(const std::string& method) { return svckit::grpc::wire_client_bidi_endpoint<HelloRequest, HelloReply>(channel, method); }
  bool exposed(const metrics::Registry& r, const std::string& line) { return r.expose().find(line + "\n") != std::string::npos; }

  IoPool io{2};
  std::unique_ptr<svckit::grpc::WireServer> server;
  std::string address;
  std::shared_ptr<svckit::grpc::WireChannel> channel;
  metrics::Registry registry, client_registry;
  std::atomic<int> echo_ended{0}, hold_ended{0};
};

TEST_F(BidiEndpoints, RepliesComeBetweenRequestsThroughTheMiddleware) {
  LockStep caller({"a", "b", "c"});
  const Bidi ep = chain(client("/test.Chat/Echo"), middleware::Metrics{"client", "echo", &client_registry});
  auto st = call(ep, caller.requests(), caller.replies());
  EXPECT_TRUE(st.ok()) << st;
  EXPECT_EQ(caller.got(), (std::vector<std::string>{"echo a", "echo b", "echo c"}))
      << "each request went only after the last reply: the replies came while the client's side was open";
  EXPECT_TRUE(test::wait_until([&] { return exposed(registry, R"(svckit_requests_total{service="test",method="echo",code="OK"} 1)"); }, 10s))
      << registry.expose();
  EXPECT_TRUE(exposed(registry, R"(svckit_stream_messages_total{service="test",method="echo"} 3)")) << registry.expose();
  EXPECT_TRUE(exposed(client_registry, R"(svckit_requests_total{service="client",method="echo",code="OK"} 1)")) << client_registry.expose();
  EXPECT_TRUE(exposed(client_registry, R"(svckit_stream_messages_total{service="client",method="echo"} 3)")) << client_registry.expose();
}

TEST_F(BidiEndpoints, AClientStreamGetsOneReplyAfterItsLast) {
  VectorStreamReader<HelloRequest> requests({named("x"), named("y"), named("z")});
  std::vector<std::string> got;
  auto replies = stream_to<HelloReply>([&](const HelloReply& r) -> asio::awaitable<bool> {
    got.push_back(r.message());
    co_return true;
  });
  auto st = call(client("/test.Chat/Join"), requests, replies);
  EXPECT_TRUE(st.ok()) << st;
  EXPECT_EQ(got, std::vector<std::string>{"3 x,y,z"});
  VectorStreamReader<HelloRequest> none({});
  got.clear();
  EXPECT_TRUE(call(client("/test.Chat/Join"), none, replies).ok());
  EXPECT_EQ(got, std::vector<std::string>{"0 "});
}

TEST_F(BidiEndpoints, ATimeoutMiddlewareEndsTheStreamWithDeadlineExceeded) {
  VectorStreamReader<HelloRequest> requests({named("x")});
  auto replies = stream_to<HelloReply>([](const HelloReply&) -> asio::awaitable<bool> { co_return true; });
  auto st = call(client("/test.Chat/Bounded"), requests, replies);
  EXPECT_EQ(st.code(), StatusCode::DeadlineExceeded) << st;
  EXPECT_TRUE(test::wait_until([&] { return hold_ended == 1; }, 10s)) << "the handler was cancelled";
}

// A caller's writer that has had enough: the call is reset (CANCELLED), the server's handler ends, and the
// caller's reader, waiting for a request it will never give, is cancelled.
TEST_F(BidiEndpoints, ACallerThatHasHadEnoughCancelsTheCall) {
  bool first = true, reader_cancelled = false;
  auto requests = stream_from<HelloRequest>([&]() -> asio::awaitable<std::optional<HelloRequest>> {
    if (std::exchange(first, false)) co_return named("a");
    asio::steady_timer never(co_await asio::this_coro::executor, std::chrono::steady_clock::time_point::max());
    co_await never.async_wait(asio::as_tuple(asio::use_awaitable));
    reader_cancelled = true;
    co_return std::nullopt;
  });
  std::vector<std::string> got;
  auto enough = stream_to<HelloReply>([&](const HelloReply& r) -> asio::awaitable<bool> {
    got.push_back(r.message());
    co_return false;
  });
  auto st = call(client("/test.Chat/Echo"), requests, enough);
  EXPECT_EQ(st.code(), StatusCode::Cancelled) << st;
  EXPECT_EQ(got, std::vector<std::string>{"echo a"});
  EXPECT_TRUE(reader_cancelled);
  EXPECT_TRUE(test::wait_until([&] { return echo_ended == 1; }, 10s)) << "the server's handler ended with the call";
}

// A request that does not parse as the endpoint's type, from gRPC's C++ generic stub: INVALID_ARGUMENT,
// after the replies to the requests before it.
TEST_F(BidiEndpoints, ARequestThatDoesNotParseIsInvalidArgument) {
  test::BidiCall raw(test::channel_to(address), "/test.Chat/Echo", std::chrono::system_clock::now() + 20s);
  ASSERT_TRUE(raw.write(test::hello_bytes("ok")));
  EXPECT_EQ(test::reply_text(raw.read()), "echo ok");
  raw.write(std::string("\x0a\x05" "ab", 4));  // a HelloRequest cut inside its name
  EXPECT_EQ(raw.read(), std::nullopt);
  const auto status = raw.finish();
  EXPECT_EQ(status.error_code(), ::grpc::StatusCode::INVALID_ARGUMENT) << status.error_message();
  EXPECT_NE(status.error_message().find("greeter.HelloRequest"), std::string::npos) << status.error_message();
}

// A server that falls silent mid-call (frozen, or its host gone without a FIN) while the caller's reader
// waits for its next request: the keepalive PING goes unanswered, the call ends UNAVAILABLE long before its
// deadline, and the waiting reader is cancelled.
TEST(BidiEndpointsHostile, AServerThatFallsSilentEndsTheCallByTheKeepalivePing) {
  IoPool io(1);
  io.start();
  test::SilentServer silent;
  auto channel = svckit::grpc::WireChannel::create(silent.address(), {.keepalive_time = 200ms, .keepalive_timeout = 200ms});
  const Bidi ep = svckit::grpc::wire_client_bidi_endpoint<HelloRequest, HelloReply>(channel, "/test.Chat/Echo");
  bool first = true, reader_cancelled = false;
  auto requests = stream_from<HelloRequest>([&]() -> asio::awaitable<std::optional<HelloRequest>> {
    if (std::exchange(first, false)) co_return named("a");
    asio::steady_timer never(co_await asio::this_coro::executor, std::chrono::steady_clock::time_point::max());
    co_await never.async_wait(asio::as_tuple(asio::use_awaitable));
    reader_cancelled = true;
    co_return std::nullopt;
  });
  auto replies = stream_to<HelloReply>([](const HelloReply&) -> asio::awaitable<bool> { co_return true; });
  const auto start = std::chrono::steady_clock::now();
  auto st = asio::co_spawn(io.context(0), [&]() -> asio::awaitable<Status> {
    Context ctx;
    ctx.set_timeout(30s);
    co_return co_await ep(ctx, requests, replies);
  }, asio::use_future).get();
  EXPECT_EQ(st.code(), StatusCode::Unavailable) << st;
  EXPECT_NE(st.message().find("keepalive"), std::string::npos) << st;
  EXPECT_LT(std::chrono::steady_clock::now() - start, 20s) << "ended by the ping, long before the 30 s deadline";
  EXPECT_TRUE(reader_cancelled);
  channel.reset();  // (it hangs up)
  silent.wait_hung_up();
  io.stop();
  io.join();
}

}  // namespace
