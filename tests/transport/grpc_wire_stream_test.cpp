// Server streaming on svckit's own gRPC wire (WireServer::add_server_stream) and the health service on it
// (grpc.health.v1 Check and Watch), called by clients nobody here wrote: gRPC's C++ library (its generic
// stub) and Python's grpcio. Plus a peer that stops reading, over a raw socket.
#include <gtest/gtest.h>

#include <unistd.h>

#include <atomic>
#include <cstdio>
#include <filesystem>
#include <future>
#include <mutex>
#include <sstream>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <grpcpp/create_channel.h>
#include <grpcpp/generic/generic_stub.h>

#include "greeter.pb.h"
#include "support/build_paths.hpp"
#include "support/certs.hpp"  // run_command
#include "support/run.hpp"
#include "svckit/transport/grpc/wire_server.hpp"
#include "transport/greeter_bytes.hpp"
#include "transport/grpc_stream_client.hpp"
#include "transport/raw_http2.hpp"

using namespace svckit;
using namespace std::chrono_literals;
using greeter::HelloReply;
using greeter::HelloRequest;
using test::call_stream;
using test::channel_to;
using test::hello_bytes;
using test::reply_text;

namespace {

class GrpcWireStream : public ::testing::Test {
 protected:
  void SetUp() override { start({}); }
  void TearDown() override {
    if (server) server->shutdown(std::chrono::steady_clock::now() + 5s);
  }

  void start(svckit::grpc::WireServerOptions opts) {
    opts.address = "127.0.0.1:0";
    server = std::make_unique<svckit::grpc::WireServer>(io, opts);
    // "COUNT SIZE [fail]": COUNT replies of SIZE bytes, numbered; then OK, or FAILED_PRECONDITION with "fail".
    server->add_server_stream("/test.Stream/Count", [](const Context&, std::string_view in,
                                                       svckit::grpc::WireStreamWriter& out) -> boost::asio::awaitable<Status> {
      HelloRequest req;
      if (!req.ParseFromArray(in.data(), static_cast<int>(in.size()))) co_return invalid_argument("not a HelloRequest");
      std::istringstream words(req.name());
      int count = 0;
      std::size_t size = 0;
      std::string fail;
      words >> count >> size >> fail;
      for (int i = 0; i < count; ++i) {
        HelloReply r;
        r.set_message(std::to_string(i) + ":" + std::string(size, 'x'));
        if (!co_await out.write(r.SerializeAsString())) co_return Status(StatusCode::Cancelled, "gone");
      }
      if (fail == "fail") co_return Status(StatusCode::FailedPrecondition, "stopped after " + std::to_string(count) + " %");
      co_return Status();
    });
    // 1 KiB replies until the stream is over; counts what it wrote and how it ended.
    server->add_server_stream("/test.Stream/Forever", [this](const Context&, std::string_view,
                                                             svckit::grpc::WireStreamWriter& out) -> boost::asio::awaitable<Status> {
      struct Ended {
        std::atomic<int>& n;
        ~Ended() { ++n; }
      } ended{forever_ended};
      HelloReply r;
      r.set_message(std::string(1024, 'f'));
      const std::string bytes = r.SerializeAsString();
      while (co_await out.write(bytes)) forever_bytes += bytes.size();
      co_return Status(StatusCode::Cancelled, "gone");
    });
    server->start();
    if (!io_started) io.start();
    io_started = true;
    address = "127.0.0.1:" + std::to_string(server->port());
  }

  IoPool io{2};
  bool io_started = false;
  std::unique_ptr<svckit::grpc::WireServer> server;
  std::string address;
  std::atomic<int> forever_ended{0};
  std::atomic<std::size_t> forever_bytes{0};

 public:
  ~GrpcWireStream() override {
    io.stop();
    io.join();
  }
};

TEST_F(GrpcWireStream, ManyLargeMessagesArriveInOrderPastEveryFlowControlWindow) {
  ::grpc::ClientContext ctx;
  auto r = call_stream(address, "/test.Stream/Count", hello_bytes("200 65536"), ctx);  // 13 MB: many windows
  ASSERT_TRUE(r.status.ok()) << r.status.error_message();
  ASSERT_EQ(r.messages.size(), 200u);
  for (std::size_t i = 0; i < r.messages.size(); ++i) {
    const auto text = reply_text(r.messages[i]);
    ASSERT_EQ(text.size(), std::to_string(i).size() + 1 + 65536) << i;
    ASSERT_EQ(text.substr(0, text.find(':')), std::to_string(i)) << "in order";
  }
  EXPECT_TRUE(test::wait_until([&] { return server->in_flight() == 0; }));
}

TEST_F(GrpcWireStream, AnErrorComesAfterTheMessagesSentBeforeIt) {
  ::grpc::ClientContext ctx;
  auto r = call_stream(address, "/test.Stream/Count", hello_bytes("3 10 fail"), ctx);
  EXPECT_EQ(r.messages.size(), 3u);
  EXPECT_EQ(r.status.error_code(), ::grpc::StatusCode::FAILED_PRECONDITION);
  EXPECT_EQ(r.status.error_message(), "stopped after 3 %") << "grpc-message percent-encoded in the trailers";

  ::grpc::ClientContext none_ctx;  // an error before any message: Trailers-Only
  r = call_stream(address, "/test.Stream/Count", hello_bytes("0 0 fail"), none_ctx);
  EXPECT_TRUE(r.messages.empty());
  EXPECT_EQ(r.status.error_code(), ::grpc::StatusCode::FAILED_PRECONDITION);

  ::grpc::ClientContext empty_ctx;  // no message and OK: headers, then the trailers
  r = call_stream(address, "/test.Stream/Count", hello_bytes("0 0"), empty_ctx);
  EXPECT_TRUE(r.messages.empty());
  EXPECT_TRUE(r.status.ok()) << r.status.error_message();
}

TEST_F(GrpcWireStream, AClientThatCancelsEndsTheHandler) {
  ::grpc::ClientContext ctx;
  int seen = 0;
  auto r = call_stream(address, "/test.Stream/Forever", hello_bytes(""), ctx, [&](const std::string&) { return ++seen < 5; });
  EXPECT_EQ(r.status.error_code(), ::grpc::StatusCode::CANCELLED);
  EXPECT_GE(r.messages.size(), 5u);
  EXPECT_TRUE(test::wait_until([&] { return forever_ended == 1; }, 10s)) << "the handler's write returned false";
  EXPECT_TRUE(test::wait_until([&] { return server->in_flight() == 0; }, 10s));
}

TEST_F(GrpcWireStream, PastItsDeadlineAStreamEndsWithDeadlineExceeded) {
  // Connected first: under ThreadSanitizer the connection's set-up alone could use up the deadline before
  // the call reached the handler (seen).
  auto channel = channel_to(address);
  ::grpc::ClientContext warm_up;
  ASSERT_TRUE(call_stream(channel, "/test.Stream/Count", hello_bytes("1 1"), warm_up).status.ok());
  ::grpc::ClientContext ctx;
  ctx.set_deadline(std::chrono::system_clock::now() + 1s);
  auto r = call_stream(channel, "/test.Stream/Forever", hello_bytes(""), ctx);
  EXPECT_EQ(r.status.error_code(), ::grpc::StatusCode::DEADLINE_EXCEEDED);
  EXPECT_FALSE(r.messages.empty());
  EXPECT_TRUE(test::wait_until([&] { return forever_ended == 1; }, 10s));
  EXPECT_TRUE(test::wait_until([&] { return server->in_flight() == 0; }, 10s));
}

// A peer that sends its call and then never opens its flow-control window (no WINDOW_UPDATE): the server
// sends what the window allows, buffers up to the stream's bound, and then the handler's write waits —
// memory stays bounded however fast the handler could write. When the peer leaves, the handler ends.
TEST_F(GrpcWireStream, APeerThatStopsReadingHoldsTheHandlerNotTheServersMemory) {
  auto r = test::exchange(server->port(), test::raw_call("/test.Stream/Forever", ""), 1s);  // then the socket closes
  EXPECT_NE(r.got.find(std::string(1024, 'f')), std::string::npos) << "messages flowed within the window";
  ASSERT_TRUE(test::wait_until([&] { return forever_ended == 1; }, 10s)) << "the handler ended when the peer left";
  const std::size_t window = 65535, bound = 256 * 1024, message = 1024 + 8;
  EXPECT_GE(forever_bytes.load(), window - 2 * message);
  EXPECT_LE(forever_bytes.load(), window + bound + 2 * message) << "written while nobody read: the buffer's bound holds";
  ::grpc::ClientContext ctx;
  EXPECT_EQ(call_stream(address, "/test.Stream/Count", hello_bytes("2 1"), ctx).messages.size(), 2u) << "the server goes on";
}

// grpc.health.v1 on the own wire.
std::string health_request(const std::string& service) {
  std::string out;
  if (!service.empty()) out = std::string{0x0a, static_cast<char>(service.size())} + service;
  return out;
}
int health_status(const std::string& reply) { return reply.size() == 2 && reply[0] == 0x08 ? reply[1] : -1; }
enum { kServing = 1, kNotServing = 2, kServiceUnknown = 3 };

::grpc::Status health_check(const std::string& address, const std::string& service, int& status) {
  auto channel = ::grpc::CreateChannel(address, ::grpc::InsecureChannelCredentials());
  ::grpc::GenericStub stub(channel);
  ::grpc::ClientContext ctx;
  ctx.set_deadline(std::chrono::system_clock::now() + 5s);
  ::grpc::Slice slice(health_request(service));
  const ::grpc::ByteBuffer request(&slice, 1);
  ::grpc::ByteBuffer reply;
  std::promise<::grpc::Status> done;
  stub.UnaryCall(&ctx, "/grpc.health.v1.Health/Check", {}, &request, &reply,
                 [&](::grpc::Status s) { done.set_value(std::move(s)); });
  auto st = done.get_future().get();
  ::grpc::Slice whole;
  if (st.ok()) (void)reply.DumpToSingleSlice(&whole);
  status = health_status(std::string(reinterpret_cast<const char*>(whole.begin()), whole.size()));
  return st;
}

TEST_F(GrpcWireStream, HealthCheckAnswersForTheServerAndEachService) {
  int status = -1;
  ASSERT_TRUE(health_check(address, "", status).ok());
  EXPECT_EQ(status, kNotServing) << "until the runner says it is ready";
  server->set_serving(true);
  ASSERT_TRUE(health_check(address, "", status).ok());
  EXPECT_EQ(status, kServing);
  ASSERT_TRUE(health_check(address, "test.Stream", status).ok());
  EXPECT_EQ(status, kServing) << "each service with methods";
  EXPECT_EQ(health_check(address, "no.Such", status).error_code(), ::grpc::StatusCode::NOT_FOUND);
}

TEST_F(GrpcWireStream, HealthWatchHearsEachChangeAndEndsAtShutdown) {
  server->set_serving(true);
  std::mutex mu;
  std::vector<int> seen;
  auto seen_count = [&] {
    std::lock_guard lock(mu);
    return seen.size();
  };
  auto watch = std::async(std::launch::async, [&] {
    ::grpc::ClientContext ctx;
    return call_stream(address, "/grpc.health.v1.Health/Watch", health_request(""), ctx, [&](const std::string& m) {
      std::lock_guard lock(mu);
      seen.push_back(health_status(m));
      return true;
    });
  });
  ASSERT_TRUE(test::wait_until([&] { return seen_count() == 1; }, 10s));
  server->set_serving(false);
  ASSERT_TRUE(test::wait_until([&] { return seen_count() == 2; }, 10s));
  server->set_serving(true);
  ASSERT_TRUE(test::wait_until([&] { return seen_count() == 3; }, 10s));
  const auto begun = std::chrono::steady_clock::now();
  server->shutdown(std::chrono::steady_clock::now() + 10s);
  EXPECT_LT(std::chrono::steady_clock::now() - begun, 5s) << "the Watch stream ended; shutdown did not wait it out";
  auto r = watch.get();
  EXPECT_TRUE(r.status.ok()) << r.status.error_message();
  std::lock_guard lock(mu);
  EXPECT_EQ(seen, (std::vector<int>{kServing, kNotServing, kServing, kNotServing}));
  server.reset();
}

TEST_F(GrpcWireStream, HealthWatchOfAnUnknownServiceSaysSoAndWatchStreamsAreBounded) {
  server->shutdown(std::chrono::steady_clock::now() + 5s);
  start({.max_watch_streams = 1});
  std::atomic<int> first{-1};
  ::grpc::ClientContext ctx;
  auto watch = std::async(std::launch::async, [&] {
    return call_stream(address, "/grpc.health.v1.Health/Watch", health_request("no.Such"), ctx, [&](const std::string& m) {
      first = health_status(m);
      return true;
    });
  });
  ASSERT_TRUE(test::wait_until([&] { return first != -1; }, 10s));
  EXPECT_EQ(first, kServiceUnknown) << "a Watch stays open for a service that may come";
  ::grpc::ClientContext second;
  EXPECT_EQ(call_stream(address, "/grpc.health.v1.Health/Watch", health_request(""), second).status.error_code(),
            ::grpc::StatusCode::RESOURCE_EXHAUSTED);
  ctx.TryCancel();
  EXPECT_EQ(watch.get().status.error_code(), ::grpc::StatusCode::CANCELLED);
  ASSERT_TRUE(test::wait_until([&] { return server->in_flight() == 0; })) << "the server has seen the cancellation";
  ::grpc::ClientContext third;  // the first one's slot is free again
  std::atomic<bool> got{false};
  auto again = std::async(std::launch::async, [&] {
    return call_stream(address, "/grpc.health.v1.Health/Watch", health_request(""), third, [&](const std::string&) {
      got = true;
      return false;  // cancels
    });
  });
  EXPECT_EQ(again.get().status.error_code(), ::grpc::StatusCode::CANCELLED);
  EXPECT_TRUE(got);
}

TEST_F(GrpcWireStream, PythonsGrpcioStreamsAndWatchesHealth) {
  server->set_serving(true);
  const std::string watching = ::testing::TempDir() + "grpc_wire_python_watching." + std::to_string(::getpid());
  std::remove(watching.c_str());
  auto python = std::async(std::launch::async, [&] {
    return test::run_command("/usr/bin/python3 " + svckit::test::paths::source_dir() + "/tests/transport/grpc_wire_python_stream.py " + address + " " + watching);
  });
  // The script's Watch says SERVING, then waits for NOT_SERVING: flip it once the script says it watches.
  const bool watching_started = test::wait_until([&] { return std::filesystem::exists(watching); }, 60s);
  server->set_serving(false);
  std::remove(watching.c_str());
  EXPECT_TRUE(watching_started);
  auto r = python.get();
  EXPECT_EQ(r.exit_code, 0) << r.output;
  for (const char* check : {"watch: ok", "check: ok", "stream: ok", "stream error: ok", "stream cancel: ok", "stream deadline: ok"})
    EXPECT_NE(r.output.find(check), std::string::npos) << check << "\n" << r.output;
}

}  // namespace
