// svckit's own gRPC wire and go-kit, both ways (issue 32's go-kit interop): a go-kit gRPC client on grpc-go
// (tests/interop/gokit_grpc) calls the own wire server — unary calls, an error, a deadline, a server
// stream, the health Check and Watch — and the own wire client calls a go-kit gRPC server: a reply with
// the metadata it sent, an error, a deadline that cancels the Go handler, many calls on one connection.
#include <gtest/gtest.h>

#include <atomic>
#include <filesystem>
#include <fstream>
#include <future>
#include <mutex>
#include <regex>
#include <sstream>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_future.hpp>

#include "greeter.pb.h"
#include "support/build_paths.hpp"
#include "support/certs.hpp"  // run_command
#include "support/process.hpp"
#include "support/run.hpp"
#include "svckit/transport/grpc/wire_channel.hpp"
#include "svckit/transport/grpc/wire_server.hpp"

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

std::string temp_path(const std::string& name) {
  return ::testing::TempDir() + name + "." + std::to_string(::getpid());
}

TEST(GokitInterop, AGoKitClientCallsTheOwnWireServer) {
  IoPool io{2};
  svckit::grpc::WireServer server(io, {.address = "127.0.0.1:0"});
  std::mutex mu;
  std::string seen_tag;
  server.add<HelloRequest, HelloReply>("/greeter.Greeter/SayHello", [&](const Context& ctx, const HelloRequest& req)
                                                                        -> asio::awaitable<Result<HelloReply>> {
    {
      std::lock_guard lock(mu);
      for (const auto& [k, v] : ctx.metadata())
        if (k == "x-tag") seen_tag = v;
    }
    if (req.name().empty()) co_return invalid_argument("name is empty: ünïcode % kept");
    HelloReply r;
    r.set_message("hello " + req.name() + " (" + std::to_string(req.name().size()) + " bytes)");
    co_return r;
  });
  std::atomic<int> cancelled{0};
  server.add<HelloRequest, HelloReply>("/greeter.Greeter/Later", [&](const Context& ctx, const HelloRequest& req)
                                                                     -> asio::awaitable<Result<HelloReply>> {
    asio::steady_timer t(co_await asio::this_coro::executor, std::chrono::milliseconds(std::stoi(req.name())));
    auto [ec] = co_await t.async_wait(asio::as_tuple(asio::use_awaitable));
    if (ec || ctx.cancelled()) ++cancelled;
    co_return HelloReply{};
  });
  // "COUNT SIZE": COUNT replies "I:" + SIZE bytes.
  server.add_server_stream("/test.Stream/Count", [](const Context&, std::string_view in,
                                                    svckit::grpc::WireStreamWriter& out) -> asio::awaitable<Status> {
    HelloRequest req;
    if (!req.ParseFromArray(in.data(), static_cast<int>(in.size()))) co_return invalid_argument("not a HelloRequest");
    std::istringstream words(req.name());
    int count = 0;
    std::size_t size = 0;
    words >> count >> size;
    for (int i = 0; i < count; ++i) {
      HelloReply r;
      r.set_message(std::to_string(i) + ":" + std::string(size, 'x'));
      if (!co_await out.write(r.SerializeAsString())) co_return Status(StatusCode::Cancelled, "gone");
    }
    co_return Status();
  });
  server.start();
  server.set_serving(true);
  io.start();

  const std::string watching = temp_path("gokit_watching");
  std::filesystem::remove(watching);
  auto go = std::async(std::launch::async, [&] {
    return test::run_command(svckit::test::paths::gokit_grpc() + " client 127.0.0.1:" + std::to_string(server.port()) + " " + watching);
  });
  // The Go client's Watch has said SERVING: the next change must reach it.
  const bool watching_started = test::wait_until([&] { return std::filesystem::exists(watching); }, 60s);
  server.set_serving(false);
  auto r = go.get();
  std::filesystem::remove(watching);
  EXPECT_TRUE(watching_started);
  EXPECT_EQ(r.exit_code, 0) << r.output;
  for (const char* check : {"unary: ok", "error: ok", "deadline: ok", "stream: ok", "health check: ok", "health watch: ok"})
    EXPECT_NE(r.output.find(check), std::string::npos) << check << "\n" << r.output;
  {
    std::lock_guard lock(mu);
    EXPECT_EQ(seen_tag, "go") << "go-kit's request header reached the Context";
  }
  EXPECT_TRUE(test::wait_until([&] { return cancelled == 1; }, 10s)) << "the Go client's deadline cancelled the handler";
  server.shutdown(std::chrono::steady_clock::now() + 5s);
  io.stop();
  io.join();
}

class GokitServer : public ::testing::Test {
 protected:
  void SetUp() override {
    proc = std::make_unique<test::Process>(std::vector<std::string>{svckit::test::paths::gokit_grpc(), "serve"}, log);
    std::smatch m;
    ASSERT_TRUE(test::wait_until([&] {
      const std::string text = output();
      return std::regex_search(text, m, std::regex("listening (\\d+)"));
    }, 30s)) << output();
    const std::string text = output();
    std::regex_search(text, m, std::regex("listening (\\d+)"));
    io.start();
    target = "127.0.0.1:" + m[1].str();
    channel = svckit::grpc::WireChannel::create(target);
  }
  void TearDown() override {
    // First, while the client's connection is open and served: grpc-go's graceful stop sends GOAWAY and
    // waits for the connection to close — the own wire client closes an idle connection on a GOAWAY.
    if (proc) {
      EXPECT_EQ(proc->stop(), 0) << "go-kit's server stopped gracefully on SIGTERM\n" << output();
    }
    channel.reset();
    io.stop();
    io.join();
    std::filesystem::remove(log);
  }
  std::string output() const {
    std::ifstream in(log);
    std::stringstream s;
    s << in.rdbuf();
    return s.str();
  }
  Result<HelloReply> call(const std::string& method, HelloRequest req, Context ctx = {}, svckit::grpc::ClientOptions opts = {}) {
    auto ep = svckit::grpc::wire_client_endpoint<HelloRequest, HelloReply>(channel, method, opts);
    return asio::co_spawn(io.context(0), [ep, req, ctx]() -> asio::awaitable<Result<HelloReply>> { co_return co_await ep(ctx, req); },
                          asio::use_future)
        .get();
  }

  const std::string log = temp_path("gokit_server.log");
  std::unique_ptr<test::Process> proc;
  IoPool io{2};
  std::string target;
  std::shared_ptr<svckit::grpc::WireChannel> channel;
};

TEST_F(GokitServer, TheOwnWireClientCallsIt) {
  auto ok = call("/greeter.Greeter/SayHello", named("wire"), {}, {.metadata = {{"x-tag", "blue"}}});
  ASSERT_TRUE(ok.ok()) << ok.status().message();
  EXPECT_EQ(ok->message(), "hello wire from go-kit, tag blue") << "the reply, and our metadata reached go-kit";

  auto bad = call("/greeter.Greeter/SayHello", named(""));
  EXPECT_EQ(bad.status().code(), StatusCode::InvalidArgument);
  EXPECT_EQ(bad.status().message(), "name is empty");

  EXPECT_EQ(call("/greeter.Greeter/Nope", named("x")).status().code(), StatusCode::Unimplemented);

  Context ctx;
  ctx.set_timeout(300ms);
  EXPECT_EQ(call("/greeter.Greeter/Later", named("60000"), ctx).status().code(), StatusCode::DeadlineExceeded);
  EXPECT_TRUE(test::wait_until([&] { return output().find("cancelled") != std::string::npos; }, 10s))
      << "grpc-go saw the reset stream and cancelled the go-kit handler's context\n" << output();

  // Many calls on the connection (grpc-go's window updates and BDP pings come along); one connection.
  for (int i = 0; i < 500; ++i) {
    auto r = call("/greeter.Greeter/SayHello", named("n" + std::to_string(i)));
    ASSERT_TRUE(r.ok()) << i << ": " << r.status().message();
  }
  EXPECT_EQ(channel->connections_opened(), 1u);
}

// grpc-go counts a client's pings while it sends nothing: a third strike (pings under 5 minutes apart)
// gets GOAWAY "too_many_pings" and the connection closed, failing its calls. A slow call with the client
// set to ping about every 250 ms (a ping after 50 ms of silence, its answer awaited 200 ms) still ends
// well: the own wire sends two pings while no data comes, then waits.
TEST_F(GokitServer, ASlowCallOutlivesTheOwnWiresKeepalivePings) {
  channel = svckit::grpc::WireChannel::create(target, {.keepalive_time = 50ms, .keepalive_timeout = 200ms});
  Context ctx;
  ctx.set_timeout(30s);
  auto r = call("/greeter.Greeter/Later", named("3000"), ctx);
  ASSERT_TRUE(r.ok()) << r.status().message() << "\n" << output();
  EXPECT_EQ(r->message(), "later");
  EXPECT_EQ(channel->connections_opened(), 1u);
}

}  // namespace
