// The own wire's client (wire_channel.hpp): against the own wire's server, against gRPC's C++ library serving
// (svckit::grpc::Server on grpc++), against servers that are not there, are slow, go away, or send garbage.
#include <gtest/gtest.h>

#include <atomic>
#include <filesystem>
#include <future>
#include <mutex>
#include <optional>
#include <regex>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/thread_pool.hpp>
#include <boost/asio/use_future.hpp>
#include <boost/asio/write.hpp>

#include "generator/greeter_service.hpp"
#include "greeter.grpc.pb.h"
#include "support/build_paths.hpp"
#include "support/process.hpp"
#include "support/run.hpp"
#include "svckit/transport/grpc/server.hpp"
#include "svckit/transport/grpc/wire_channel.hpp"
#include "svckit/transport/grpc/wire_server.hpp"
#include "transport/greeter_bytes.hpp"
#include "transport/silent_server.hpp"

using namespace svckit;
using namespace std::chrono_literals;
using greeter::HelloReply;
using greeter::HelloRequest;
namespace asio = boost::asio;

namespace {

HelloRequest named(std::string name) {
  HelloRequest r;
  r.set_name(std::move(name));
  return r;
}

// SayHello through the own wire client to `channel`, from an io thread of `io`, within `timeout`.
Result<HelloReply> say_hello(IoPool& io, const std::shared_ptr<svckit::grpc::WireChannel>& channel, std::chrono::milliseconds timeout) {
  auto ep = svckit::grpc::wire_client_endpoint<HelloRequest, HelloReply>(channel, "/greeter.Greeter/SayHello");
  Context ctx;
  ctx.set_timeout(timeout);
  return asio::co_spawn(io.context(0), [ep, ctx]() -> asio::awaitable<Result<HelloReply>> { co_return co_await ep(ctx, named("x")); },
                        asio::use_future)
      .get();
}

class WireClient : public ::testing::Test {
 protected:
  void SetUp() override {
    server = std::make_unique<svckit::grpc::WireServer>(io, svckit::grpc::WireServerOptions{.address = "127.0.0.1:0"});
    server->add<HelloRequest, HelloReply>("/greeter.Greeter/Echo", [this](const Context& ctx, const HelloRequest& req)
                                                                         -> asio::awaitable<Result<HelloReply>> {
      {
        std::lock_guard lock(mu);
        for (const auto& [k, v] : ctx.metadata()) seen_metadata[k] = v;
        seen_request_id = ctx.request_id();
        seen_timeout = ctx.remaining().value_or(0s);
      }
      if (req.name().empty()) co_return invalid_argument("name is empty: ünïcode % kept");
      if (req.name() == "busy") co_return Status(StatusCode::Unavailable, "busy").with_retry_after(1234ms);
      HelloReply r;
      r.set_message(req.name());
      co_return r;
    });
    server->add<HelloRequest, HelloReply>("/greeter.Greeter/Later", [this](const Context& ctx, const HelloRequest& req)
                                                                          -> asio::awaitable<Result<HelloReply>> {
      ++started;
      asio::steady_timer t(co_await asio::this_coro::executor, std::chrono::milliseconds(std::stoi(req.name())));
      auto [ec] = co_await t.async_wait(asio::as_tuple(asio::use_awaitable));
      if (ec || ctx.cancelled()) ++cancelled;
      HelloReply r;
      r.set_message("later");
      co_return r;
    });
    server->start();
    io.start();
    channel = svckit::grpc::WireChannel::create("127.0.0.1:" + std::to_string(server->port()));
  }
  void TearDown() override {
    channel.reset();
    if (server) server->shutdown(std::chrono::steady_clock::now() + 5s);
    io.stop();
    io.join();
  }

  // Runs one call from a coroutine on io thread `thread` and waits for its result.
  Result<HelloReply> call(const std::string& method, HelloRequest req, Context ctx = {}, svckit::grpc::ClientOptions opts = {},
                          std::size_t thread = 0, std::shared_ptr<svckit::grpc::WireChannel> ch = nullptr) {
    auto ep = svckit::grpc::wire_client_endpoint<HelloRequest, HelloReply>(ch ? ch : channel, method, opts);
    return asio::co_spawn(io.context(thread), [ep, req, ctx]() -> asio::awaitable<Result<HelloReply>> {
             co_return co_await ep(ctx, req);
           }, asio::use_future).get();
  }

  IoPool io{2};
  std::unique_ptr<svckit::grpc::WireServer> server;
  std::shared_ptr<svckit::grpc::WireChannel> channel;
  std::mutex mu;
  std::map<std::string, std::string> seen_metadata;
  std::string seen_request_id;
  Context::Clock::duration seen_timeout{};
  std::atomic<int> started{0}, cancelled{0};
};

TEST_F(WireClient, CallsCarryStatusMessageMetadataAndDeadline) {
  auto ok = call("/greeter.Greeter/Echo", named("wire"));
  ASSERT_TRUE(ok.ok()) << ok.status().message();
  EXPECT_EQ(ok->message(), "wire");

  auto bad = call("/greeter.Greeter/Echo", named(""));
  EXPECT_EQ(bad.status().code(), StatusCode::InvalidArgument);
  EXPECT_EQ(bad.status().message(), "name is empty: ünïcode % kept") << "grpc-message is percent-decoded";

  auto busy = call("/greeter.Greeter/Echo", named("busy"));
  EXPECT_EQ(busy.status().code(), StatusCode::Unavailable);
  EXPECT_EQ(busy.status().retry_after(), std::optional(1234ms)) << "the server's pushback reaches the caller";

  EXPECT_EQ(call("/greeter.Greeter/Nope", named("x")).status().code(), StatusCode::Unimplemented);

  Context ctx;
  ctx.set_request_id("req-7");
  ctx.set_timeout(3s);
  auto meta = call("/greeter.Greeter/Echo", named("m"), ctx, {.metadata = {{"x-tag", "blue"}, {"x-blob-bin", std::string("\0\x01\xff", 3)}}});
  ASSERT_TRUE(meta.ok()) << meta.status().message();
  std::lock_guard lock(mu);
  EXPECT_EQ(seen_request_id, "req-7");
  EXPECT_EQ(seen_metadata["x-tag"], "blue");
  EXPECT_EQ(seen_metadata["x-blob-bin"], std::string("\0\x01\xff", 3)) << "-bin values go as base64 and arrive decoded";
  EXPECT_GT(seen_timeout, 2s) << "the deadline travels as grpc-timeout";
  EXPECT_LE(seen_timeout, 3s);
}

TEST_F(WireClient, OneConnectionPerIoThreadHowManyCallsSoEver) {
  std::vector<std::future<Result<HelloReply>>> calls;
  auto ep = svckit::grpc::wire_client_endpoint<HelloRequest, HelloReply>(channel, "/greeter.Greeter/Echo");
  for (int i = 0; i < 400; ++i)
    calls.push_back(asio::co_spawn(io.context(i % 2), [ep, i]() -> asio::awaitable<Result<HelloReply>> {
                      co_return co_await ep(Context{}, named("n" + std::to_string(i)));
                    }, asio::use_future));
  for (int i = 0; i < 400; ++i) {
    auto r = calls[i].get();
    ASSERT_TRUE(r.ok()) << i << ": " << r.status().message();
    EXPECT_EQ(r->message(), "n" + std::to_string(i));
  }
  EXPECT_EQ(channel->connections_opened(), 2u) << "one HTTP/2 connection per calling io thread, all calls multiplexed on it";
  EXPECT_EQ(server->connections(), 2u);
}

TEST_F(WireClient, LargeMessagesBothWaysUpToTheLimit) {
  const std::string big((4 << 20) - 16, 'x');  // with its tag and length: just under 4 MiB, each way
  auto r = call("/greeter.Greeter/Echo", named(big));
  ASSERT_TRUE(r.ok()) << r.status().message();
  EXPECT_EQ(r->message().size(), big.size());
  auto over = call("/greeter.Greeter/Echo", named(std::string(5 << 20, 'y')));
  EXPECT_EQ(over.status().code(), StatusCode::ResourceExhausted) << over.status().message();
  EXPECT_TRUE(call("/greeter.Greeter/Echo", named("after")).ok()) << "the connection still serves";
  EXPECT_EQ(channel->connections_opened(), 1u);
}

TEST_F(WireClient, PastTheDeadlineTheCallEndsAndTheServerIsTold) {
  Context ctx;
  ctx.set_timeout(200ms);
  auto r = call("/greeter.Greeter/Later", named("60000"), ctx);
  EXPECT_EQ(r.status().code(), StatusCode::DeadlineExceeded) << r.status().message();
  EXPECT_TRUE(test::wait_until([&] { return cancelled == 1; }, 10s)) << "the server's handler was cancelled (RST_STREAM, or its own deadline)";
  EXPECT_TRUE(call("/greeter.Greeter/Echo", named("after")).ok());
}

TEST_F(WireClient, ACallInProgressFinishesThroughAGoaway) {
  auto later = std::async(std::launch::async, [&] { return call("/greeter.Greeter/Later", named("300")); });
  ASSERT_TRUE(test::wait_until([&] { return started == 1; }, 10s));
  server->shutdown(std::chrono::steady_clock::now() + 5s);  // GOAWAY, then the call goes on
  auto r = later.get();
  ASSERT_TRUE(r.ok()) << r.status().message();
  EXPECT_EQ(r->message(), "later");
  server.reset();
  auto gone = call("/greeter.Greeter/Echo", named("x"));
  EXPECT_EQ(gone.status().code(), StatusCode::Unavailable) << "a new connection to a closed port: " << gone.status().message();
}

TEST_F(WireClient, NoServerIsUnavailableAtOnceAndWaitForReadyWaitsForIt) {
  // A port nobody listens on (bound, then closed).
  asio::io_context probe;
  asio::ip::tcp::acceptor a(probe, {asio::ip::make_address("127.0.0.1"), 0});
  const auto port = a.local_endpoint().port();
  a.close();
  auto ch = svckit::grpc::WireChannel::create("127.0.0.1:" + std::to_string(port));
  auto first = call("/greeter.Greeter/Echo", named("x"), {}, {}, 0, ch);
  EXPECT_EQ(first.status().code(), StatusCode::Unavailable) << first.status().message();
  auto second = call("/greeter.Greeter/Echo", named("x"), {}, {}, 0, ch);
  EXPECT_EQ(second.status().code(), StatusCode::Unavailable);
  EXPECT_NE(second.status().message().find("next attempt"), std::string::npos) << "within the backoff: " << second.status().message();

  // wait_for_ready: the call waits (within its deadline) and goes through once a server listens there.
  Context ctx;
  ctx.set_timeout(10s);
  auto waiting = std::async(std::launch::async, [&] { return call("/greeter.Greeter/Echo", named("ready"), ctx, {.wait_for_ready = true}, 0, ch); });
  ASSERT_TRUE(test::wait_until([&] { return ch->connections_opened() >= 3; }, 10s)) << "it keeps trying";
  svckit::grpc::WireServer late(io, {.address = "127.0.0.1:" + std::to_string(port)});
  late.add<HelloRequest, HelloReply>("/greeter.Greeter/Echo", [](const Context&, const HelloRequest& req) -> asio::awaitable<Result<HelloReply>> {
    HelloReply r;
    r.set_message("late " + req.name());
    co_return r;
  });
  late.start();
  auto r = waiting.get();
  ASSERT_TRUE(r.ok()) << r.status().message();
  EXPECT_EQ(r->message(), "late ready");
  ch.reset();
  late.shutdown(std::chrono::steady_clock::now() + 5s);
}

TEST_F(WireClient, CallsFromOffTheIoThreadsGoThroughTheChannelsThread) {
  asio::thread_pool pool(2);
  auto ep = svckit::grpc::wire_client_endpoint<HelloRequest, HelloReply>(channel, "/greeter.Greeter/Echo");
  auto r = asio::co_spawn(pool, [ep]() -> asio::awaitable<Result<HelloReply>> { co_return co_await ep(Context{}, named("pool")); },
                          asio::use_future)
               .get();
  ASSERT_TRUE(r.ok()) << r.status().message();
  EXPECT_EQ(r->message(), "pool");
  pool.join();
}

TEST(WireClientInterop, GrpcsCppLibraryServesIt) {
  IoPool io(2);
  svckit::grpc::Server server(io, {.address = "127.0.0.1:0"});  // gRPC's C++ library: its HTTP/2, its HPACK
  greeter::add_grpc_methods(server, greeter::make_endpoints(greeter::make_service()));
  server.start();
  io.start();
  auto channel = svckit::grpc::WireChannel::create("127.0.0.1:" + std::to_string(server.port()));
  auto ep = svckit::grpc::wire_client_endpoint<HelloRequest, HelloReply>(channel, "/greeter.Greeter/SayHello");
  auto run = [&](HelloRequest req) {
    return asio::co_spawn(io.context(0), [ep, req]() -> asio::awaitable<Result<HelloReply>> { co_return co_await ep(Context{}, req); },
                          asio::use_future)
        .get();
  };
  auto ok = run(named("interop"));
  ASSERT_TRUE(ok.ok()) << ok.status().message();
  EXPECT_EQ(ok->message(), "hello interop from test");
  auto bad = run(HelloRequest{});
  EXPECT_EQ(bad.status().code(), StatusCode::InvalidArgument) << bad.status().message();
  channel.reset();
  server.shutdown(std::chrono::steady_clock::now() + 5s);
  io.stop();
  io.join();
}

// Python's grpcio serving (grpc_wire_python_server.py): another HTTP/2 and HPACK than ours and gRPC C++'s —
// every kind of call, metadata with a -bin key, an error, messages up to the limit and over it, a deadline
// and a reset the server is told of.
class WireClientAgainstGrpcio : public ::testing::Test {
 protected:
  void SetUp() override {
    std::filesystem::remove(log_path);
    python.emplace(std::vector<std::string>{"/usr/bin/python3", svckit::test::paths::source_dir() + "/tests/transport/grpc_wire_python_server.py"}, log_path);
    std::string log;
    std::smatch port;  // (points into log)
    ASSERT_TRUE(test::wait_until([&] {
      log = python->log();
      return std::regex_search(log, port, std::regex("port ([0-9]+)\n"));
    }, 30s)) << log;
    io.start();
    channel = svckit::grpc::WireChannel::create("127.0.0.1:" + port[1].str());
  }
  void TearDown() override {
    channel.reset();
    io.stop();
    io.join();
    if (python) {
      EXPECT_EQ(python->stop(), 0) << python->log();
    }
  }
  template <class T>
  T on_io(asio::awaitable<T> call) {
    return asio::co_spawn(io.context(0), std::move(call), asio::use_future).get();
  }
  Result<std::string> unary(const std::string& method, const std::string& name, std::chrono::milliseconds timeout = 20s,
                            svckit::grpc::ClientOptions opts = {}, std::shared_ptr<svckit::grpc::WireChannel> through = nullptr) {
    return on_io([](std::shared_ptr<svckit::grpc::WireChannel> ch, std::string m, std::string req, std::chrono::milliseconds t,
                    svckit::grpc::ClientOptions o) -> asio::awaitable<Result<std::string>> {
      Context ctx;
      ctx.set_timeout(t);
      auto r = co_await ch->unary(m, ctx, std::move(req), o);
      if (!r.ok()) co_return r.status();
      co_return test::reply_text(*r);
    }(through ? through : channel, method, test::hello_bytes(name), timeout, std::move(opts)));
  }
  Status bidi(const std::string& method, const svckit::grpc::WireStreamDriver& drive, std::chrono::milliseconds timeout = 20s) {
    return on_io([](std::shared_ptr<svckit::grpc::WireChannel> ch, std::string m, svckit::grpc::WireStreamDriver d,
                    std::chrono::milliseconds t) -> asio::awaitable<Status> {
      Context ctx;
      ctx.set_timeout(t);
      co_return co_await ch->bidi_stream(m, ctx, d);
    }(channel, method, drive, timeout));
  }
  // True once the server has printed `line`, within 10 s.
  bool logged(const std::string& line) {
    return test::wait_until([&] { return python->log().find(line) != std::string::npos; }, 10s);
  }

  const std::string log_path = ::testing::TempDir() + "grpcio_server." + std::to_string(::getpid()) + ".log";
  std::optional<test::Process> python;
  IoPool io{2};
  std::shared_ptr<svckit::grpc::WireChannel> channel;
};

TEST_F(WireClientAgainstGrpcio, UnaryCallsWithMetadataErrorsAndLargeMessages) {
  auto ok = unary("/test.Py/Echo", "py", 20s, {.metadata = {{"x-tag", "blue"}, {"x-blob-bin", std::string("\0\x01\xff", 3)}}});
  ASSERT_TRUE(ok.ok()) << ok.status();
  EXPECT_EQ(*ok, "py|blue|0001ff|deadline") << "metadata (a -bin value too) and the deadline reached grpcio";

  auto bad = unary("/test.Py/Echo", "fail");
  EXPECT_EQ(bad.status().code(), StatusCode::InvalidArgument);
  EXPECT_EQ(bad.status().message(), "told to fail: ünïcode % kept") << "grpcio's percent-encoding, decoded";

  const std::string big((4 << 20) - 1024, 'b');  // under 4 MiB, grpcio's and our default limit, both ways
  auto large = unary("/test.Py/Echo", big);
  ASSERT_TRUE(large.ok()) << large.status();
  EXPECT_TRUE(*large == big + "|||deadline") << large->size() << " bytes came back";

  // A reply just over the client's 4 MiB: refused by the client.
  EXPECT_EQ(unary("/test.Py/Echo", std::string((4 << 20) - 8, 'r')).status().code(), StatusCode::ResourceExhausted);
  // A request over grpcio's 4 MiB, from a channel that allows it: refused by grpcio.
  auto roomy = svckit::grpc::WireChannel::create(channel->target(), {.max_message_bytes = 16 << 20});
  EXPECT_EQ(unary("/test.Py/Echo", std::string(5 << 20, 'o'), 20s, {}, roomy).status().code(), StatusCode::ResourceExhausted);
  EXPECT_EQ(unary("/test.Py/Nope", "x").status().code(), StatusCode::Unimplemented);
  EXPECT_EQ(channel->connections_opened(), 1u) << "every call on one connection, the refused ones too";
}

TEST_F(WireClientAgainstGrpcio, PastTheDeadlineTheCallEndsAndGrpcioIsTold) {
  auto r = unary("/test.Py/Sleep", "", 500ms);
  EXPECT_EQ(r.status().code(), StatusCode::DeadlineExceeded) << r.status();
  EXPECT_TRUE(logged("ended: Sleep")) << python->log();
}

TEST_F(WireClientAgainstGrpcio, AServerStreamsMessagesInOrder) {
  std::vector<std::string> got;
  auto st = on_io([](std::shared_ptr<svckit::grpc::WireChannel> ch, std::vector<std::string>& out) -> asio::awaitable<Status> {
    svckit::grpc::WireMessageSink sink = [&out](std::string bytes) -> asio::awaitable<bool> {
      out.push_back(test::reply_text(bytes));
      co_return true;
    };
    Context ctx;
    ctx.set_timeout(20s);
    co_return co_await ch->server_stream("/test.Py/Count", ctx, test::hello_bytes("50"), sink);
  }(channel, got));
  EXPECT_TRUE(st.ok()) << st;
  ASSERT_EQ(got.size(), 50u);
  for (std::size_t i = 0; i < got.size(); ++i) EXPECT_EQ(got[i], std::to_string(i));
}

TEST_F(WireClientAgainstGrpcio, ClientAndBidirectionalStreams) {
  std::string joined;
  auto st = bidi("/test.Py/Join", [&](svckit::grpc::WireStreamReader& in, svckit::grpc::WireRequestWriter& out) -> asio::awaitable<void> {
    for (const std::string name : {"a", "b", "c"})
      if (!co_await out.write(test::hello_bytes(name))) co_return;
    out.close();
    joined = test::reply_text(co_await in.read());
    while (co_await in.read()) joined += " and more";
  });
  EXPECT_TRUE(st.ok()) << st;
  EXPECT_EQ(joined, "3 a,b,c");

  std::vector<std::string> chat;
  st = bidi("/test.Py/Chat", [&](svckit::grpc::WireStreamReader& in, svckit::grpc::WireRequestWriter& out) -> asio::awaitable<void> {
    for (const std::string name : {"x", "y", "z"}) {
      if (!co_await out.write(test::hello_bytes(name))) co_return;
      chat.push_back(test::reply_text(co_await in.read()));  // each reply before the next request
    }
    out.close();
    while (co_await in.read()) chat.push_back("more");
  });
  EXPECT_TRUE(st.ok()) << st;
  EXPECT_EQ(chat, (std::vector<std::string>{"echo x", "echo y", "echo z"}));
}

TEST_F(WireClientAgainstGrpcio, ADriverThatLeavesEarlyResetsTheStreamAndGrpcioIsTold) {
  std::string first;
  auto st = bidi("/test.Py/Hold", [&](svckit::grpc::WireStreamReader& in, svckit::grpc::WireRequestWriter& out) -> asio::awaitable<void> {
    co_await out.write(test::hello_bytes("bye"));
    first = test::reply_text(co_await in.read());  // the call reached the handler; then leave
  }, 120s);  // (the handler would end at the deadline too: far beyond logged()'s wait)
  EXPECT_EQ(first, "held");
  EXPECT_EQ(st.code(), StatusCode::Cancelled) << st;
  EXPECT_TRUE(logged("ended: Hold")) << python->log();
}

// A "server" that answers anything with bytes that are not HTTP/2: the call fails, nothing crashes.
TEST(WireClientHostile, GarbageFromTheServerIsUnavailable) {
  IoPool io(1);
  io.start();
  asio::io_context sio;
  asio::ip::tcp::acceptor acceptor(sio, {asio::ip::make_address("127.0.0.1"), 0});
  auto garbage = std::async(std::launch::async, [&] {
    for (int i = 0; i < 2; ++i) {
      asio::ip::tcp::socket s(sio);
      acceptor.accept(s);
      const std::string reply = i == 0 ? "HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n"
                                       : std::string("\x00\x00\x04\x08\x00\x00\x00\x00\x00\xff\xff\xff\xff", 13);  // WINDOW_UPDATE before SETTINGS
      boost::system::error_code ec;
      asio::write(s, asio::buffer(reply), ec);
      std::array<char, 4096> buf;
      while (!ec) s.read_some(asio::buffer(buf), ec);  // until the client hangs up
    }
  });
  auto channel = svckit::grpc::WireChannel::create("127.0.0.1:" + std::to_string(acceptor.local_endpoint().port()));
  for (int i = 0; i < 2; ++i) {
    auto r = say_hello(io, channel, 5s);
    EXPECT_EQ(r.status().code(), StatusCode::Unavailable) << i << ": " << r.status().message();
  }
  garbage.get();
  channel.reset();
  io.stop();
  io.join();
}

// A server that vanishes while a call waits (frozen, or its host gone without a FIN): it said SETTINGS, then
// nothing more. The call does not wait for its deadline: the keepalive PING goes unanswered and the
// connection is closed, the call UNAVAILABLE.
TEST(WireClientHostile, AServerThatFallsSilentIsFoundByTheKeepalivePing) {
  IoPool io(1);
  io.start();
  test::SilentServer silent;
  auto channel = svckit::grpc::WireChannel::create(silent.address(), {.keepalive_time = 200ms, .keepalive_timeout = 200ms});
  const auto start = std::chrono::steady_clock::now();
  auto r = say_hello(io, channel, 30s);
  EXPECT_EQ(r.status().code(), StatusCode::Unavailable) << r.status().message();
  EXPECT_NE(r.status().message().find("keepalive"), std::string::npos) << r.status().message();
  EXPECT_LT(std::chrono::steady_clock::now() - start, 20s) << "ended by the ping, long before the 30 s deadline";
  channel.reset();  // (it hangs up)
  silent.wait_hung_up();
  io.stop();
  io.join();
}

// Reads a client's frames after its preface: calls on_frame(type, flags) for each, until it returns false
// or the client hangs up.
void read_frames(asio::ip::tcp::socket& s, const std::function<bool(int type, int flags)>& on_frame) {
  std::string in;
  std::array<char, 4096> buf;
  boost::system::error_code ec;
  std::size_t at = 24;  // "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"
  while (!ec) {
    in.append(buf.data(), s.read_some(asio::buffer(buf), ec));
    while (in.size() >= at + 9) {
      const auto u = [&](std::size_t i) { return static_cast<unsigned char>(in[at + i]); };
      const std::size_t length = (std::size_t{u(0)} << 16) | (std::size_t{u(1)} << 8) | u(2);
      if (in.size() < at + 9 + length) break;
      if (!on_frame(u(3), u(4))) return;
      at += 9 + length;
    }
  }
}

// A server stricter about pings than gRPC's defaults: it answers the first keepalive ping with GOAWAY
// ENHANCE_YOUR_CALM "too_many_pings" and hangs up. The call there fails UNAVAILABLE (svckit's retry may send
// it elsewhere); the channel's next connection waits twice as long before its first ping, as gRPC's own
// clients do.
TEST(WireClientHostile, AServerThatSaysTooManyPingsIsPingedHalfAsOftenAfter) {
  IoPool io(1);
  io.start();
  asio::io_context sio;
  asio::ip::tcp::acceptor acceptor(sio, {asio::ip::make_address("127.0.0.1"), 0});
  std::array<std::chrono::steady_clock::duration, 2> first_ping{};  // after the connection was accepted
  auto strict = std::async(std::launch::async, [&] {
    for (int i = 0; i < 2; ++i) {
      asio::ip::tcp::socket s(sio);
      acceptor.accept(s);
      const auto accepted = std::chrono::steady_clock::now();
      boost::system::error_code ec;
      asio::write(s, asio::buffer(std::string("\0\0\0\x04\0\0\0\0\0", 9)), ec);  // SETTINGS
      read_frames(s, [&](int type, int flags) {
        if (type != 6 || (flags & 1)) return true;  // not a PING
        first_ping[i] = std::chrono::steady_clock::now() - accepted;
        const std::string why = "too_many_pings";
        const std::string goaway = std::string("\0\0", 2) + static_cast<char>(8 + why.size()) + "\x07" + std::string(5, '\0') +
                                   std::string("\0\0\0\x01\0\0\0\x0b", 8) + why;  // last stream 1, ENHANCE_YOUR_CALM
        if (i == 0) asio::write(s, asio::buffer(goaway), ec);
        return false;  // and hang up
      });
    }
  });
  auto channel = svckit::grpc::WireChannel::create("127.0.0.1:" + std::to_string(acceptor.local_endpoint().port()),
                                                   {.keepalive_time = 200ms, .keepalive_timeout = 30s});
  for (int i = 0; i < 2; ++i) {
    auto r = say_hello(io, channel, 20s);
    EXPECT_EQ(r.status().code(), StatusCode::Unavailable) << i << ": " << r.status().message();
  }
  strict.get();
  EXPECT_GE(first_ping[0], 200ms);
  EXPECT_GE(first_ping[1], 400ms) << "after too_many_pings, keepalive_time doubled for the next connection";
  EXPECT_EQ(channel->connections_opened(), 2u);
  channel.reset();
  io.stop();
  io.join();
}

}  // namespace
