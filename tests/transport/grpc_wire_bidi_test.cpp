// Client and bidirectional streaming on svckit's own gRPC wire: the server (WireServer::add_bidi_stream)
// called by clients nobody here wrote — gRPC's C++ library (its generic stub) and Python's grpcio — and by
// the own wire's client (WireChannel::bidi_stream).
#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <optional>
#include <string>
#include <vector>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_future.hpp>
#include <boost/asio/use_awaitable.hpp>

#include "greeter.pb.h"
#include "support/build_paths.hpp"
#include "support/certs.hpp"  // run_command
#include "support/run.hpp"
#include "svckit/transport/grpc/wire_channel.hpp"
#include "svckit/transport/grpc/wire_server.hpp"
#include "transport/greeter_bytes.hpp"
#include "transport/grpc_stream_client.hpp"
#include "transport/raw_http2.hpp"
#include "transport/serving.hpp"

using namespace svckit;
using namespace std::chrono_literals;
using greeter::HelloReply;
using greeter::HelloRequest;
using test::BidiCall;
using test::channel_to;
using test::hello_bytes;
using test::reply_bytes;
using test::reply_text;

namespace {

// Counts a handler's end, however it ends.
struct Ended {
  std::atomic<int>& n;
  ~Ended() { ++n; }
};

class GrpcWireBidi : public ::testing::Test {
 protected:
  void SetUp() override {
    server = std::make_unique<svckit::grpc::WireServer>(io, svckit::grpc::WireServerOptions{.address = "127.0.0.1:0"});
    // Bidirectional: "echo NAME" for each request, as each comes; OK once the client has sent its last.
    server->add_bidi_stream("/test.Bidi/Echo", [this](const Context& ctx, svckit::grpc::WireStreamReader& in,
                                                      svckit::grpc::WireStreamWriter& out) -> boost::asio::awaitable<Status> {
      Ended ended{echo_ended};
      while (auto m = co_await in.read()) {
        HelloRequest req;
        if (!req.ParseFromString(*m)) co_return invalid_argument("not a HelloRequest");
        if (!co_await out.write(reply_bytes("echo " + req.name()))) co_return Status(StatusCode::Cancelled, "gone");
      }
      if (ctx.cancelled()) echo_cancelled = true;
      co_return Status();
    });
    // Client streaming: one reply once the client has sent its last, "COUNT BYTES NAMES" (names joined by
    // "," while short); INVALID_ARGUMENT if a name is "fail".
    server->add_bidi_stream("/test.Bidi/Join", [](const Context&, svckit::grpc::WireStreamReader& in,
                                                  svckit::grpc::WireStreamWriter& out) -> boost::asio::awaitable<Status> {
      int count = 0;
      std::size_t bytes = 0;
      std::string names;
      while (auto m = co_await in.read()) {
        HelloRequest req;
        if (!req.ParseFromString(*m)) co_return invalid_argument("not a HelloRequest");
        if (req.name() == "fail") co_return invalid_argument("told to fail after " + std::to_string(count));
        ++count;
        bytes += req.name().size();
        if (names.size() < 256) names += (names.empty() ? "" : ",") + req.name().substr(0, 64);
      }
      co_await out.write(reply_bytes(std::to_string(count) + " " + std::to_string(bytes) + " " + names));
      co_return Status();
    });
    // Never reads: waits until the call is over.
    server->add_bidi_stream("/test.Bidi/Hold", [this](const Context&, svckit::grpc::WireStreamReader&,
                                                      svckit::grpc::WireStreamWriter&) -> boost::asio::awaitable<Status> {
      Ended ended{hold_ended};
      ++hold_started;
      boost::asio::steady_timer forever(co_await boost::asio::this_coro::executor, 60s);
      co_await forever.async_wait(boost::asio::use_awaitable);  // throws when the call is cancelled
      co_return Status();
    });
    address = test::start_serving(*server, io);
  }
  void TearDown() override { test::stop_serving(*server, io); }
  static std::chrono::system_clock::time_point in(std::chrono::milliseconds d) { return std::chrono::system_clock::now() + d; }
  // A channel already connected (slow under ThreadSanitizer), so a short deadline is the call's alone.
  std::shared_ptr<::grpc::Channel> connected_channel() {
    auto channel = channel_to(address);
    BidiCall warm(channel, "/test.Bidi/Join", in(30s));
    EXPECT_TRUE(warm.writes_done());
    EXPECT_EQ(reply_text(warm.read()), "0 0 ");
    return channel;
  }

  IoPool io{2};
  std::unique_ptr<svckit::grpc::WireServer> server;
  std::string address;
  std::atomic<int> echo_ended{0}, hold_started{0}, hold_ended{0};
  std::atomic<bool> echo_cancelled{false};
};

// Each reply comes before the client sends its next request: the handler runs from the call's headers on,
// not once the client has sent everything.
TEST_F(GrpcWireBidi, RepliesComeAsRequestsDo) {
  BidiCall call(channel_to(address), "/test.Bidi/Echo", in(20s));
  ASSERT_TRUE(call.started());
  for (const std::string name : {"a", "b", "c"}) {
    ASSERT_TRUE(call.write(hello_bytes(name)));
    EXPECT_EQ(reply_text(call.read()), "echo " + name);
  }
  ASSERT_TRUE(call.writes_done());
  EXPECT_EQ(call.read(), std::nullopt);
  auto st = call.finish();
  EXPECT_TRUE(st.ok()) << st.error_message();
  EXPECT_TRUE(test::wait_until([&] { return echo_ended == 1; }, 10s));
  EXPECT_FALSE(echo_cancelled);
}

TEST_F(GrpcWireBidi, AClientStreamGetsOneReplyAfterItsLastMessage) {
  {
    BidiCall call(channel_to(address), "/test.Bidi/Join", in(20s));
    for (const std::string name : {"x", "y", "z"}) ASSERT_TRUE(call.write(hello_bytes(name)));
    ASSERT_TRUE(call.writes_done());
    EXPECT_EQ(reply_text(call.read()), "3 3 x,y,z");
    EXPECT_EQ(call.read(), std::nullopt);
    EXPECT_TRUE(call.finish().ok());
  }
  {  // no message at all
    BidiCall call(channel_to(address), "/test.Bidi/Join", in(20s));
    ASSERT_TRUE(call.writes_done());
    EXPECT_EQ(reply_text(call.read()), "0 0 ");
    EXPECT_TRUE(call.finish().ok());
  }
  {  // an error before the client has sent everything
    BidiCall call(channel_to(address), "/test.Bidi/Join", in(20s));
    ASSERT_TRUE(call.write(hello_bytes("x")));
    ASSERT_TRUE(call.write(hello_bytes("fail")));
    EXPECT_EQ(call.read(), std::nullopt);
    auto st = call.finish();
    EXPECT_EQ(st.error_code(), ::grpc::StatusCode::INVALID_ARGUMENT);
    EXPECT_EQ(st.error_message(), "told to fail after 1");
  }
}

// Twenty 1 MiB messages: far past the stream's and the connection's windows, which the server reopens as
// the handler reads.
TEST_F(GrpcWireBidi, LargeMessagesPastEveryWindow) {
  BidiCall call(channel_to(address), "/test.Bidi/Join", in(60s));
  for (int i = 0; i < 20; ++i) ASSERT_TRUE(call.write(hello_bytes(std::string(1 << 20, 'a' + i)))) << i;
  ASSERT_TRUE(call.writes_done());
  const std::string got = reply_text(call.read());
  EXPECT_EQ(got.substr(0, got.find(' ', 3)), "20 " + std::to_string(20 << 20));
  EXPECT_TRUE(call.finish().ok());
}

TEST_F(GrpcWireBidi, AClientThatCancelsEndsTheHandler) {
  BidiCall call(channel_to(address), "/test.Bidi/Echo", in(20s));
  ASSERT_TRUE(call.write(hello_bytes("a")));
  EXPECT_EQ(reply_text(call.read()), "echo a");
  call.cancel();
  EXPECT_EQ(call.finish().error_code(), ::grpc::StatusCode::CANCELLED);
  EXPECT_TRUE(test::wait_until([&] { return echo_ended == 1; }, 10s)) << "the handler's read ended with the call";
  EXPECT_TRUE(test::wait_until([&] { return server->in_flight() == 0; }, 10s));
}

TEST_F(GrpcWireBidi, PastItsDeadlineTheCallEndsWithDeadlineExceeded) {
  BidiCall call(connected_channel(), "/test.Bidi/Hold", in(2s));
  EXPECT_EQ(call.read(), std::nullopt);
  EXPECT_EQ(call.finish().error_code(), ::grpc::StatusCode::DEADLINE_EXCEEDED);
  EXPECT_EQ(hold_started, 1) << "the call reached the server before its deadline";
  EXPECT_TRUE(test::wait_until([&] { return hold_ended == 1; }, 10s)) << "the handler was cancelled at the deadline";
}

// A handler that does not read: once its stream's window (1 MiB) and the reader's buffer (256 KiB) are
// full, the client's writes wait — the server's memory holds a bounded part of what the client would send
// (an unheld client sends 16 MiB in well under the 3 s here).
TEST_F(GrpcWireBidi, AHandlerThatDoesNotReadHoldsUpTheClientNotTheServersMemory) {
  BidiCall call(connected_channel(), "/test.Bidi/Hold", in(3s));
  const std::string chunk = hello_bytes(std::string(64 * 1024, 'h'));
  std::size_t written = 0;
  while (written < (std::size_t{16} << 20) && call.write(chunk)) written += chunk.size();
  EXPECT_LE(written, std::size_t{3} << 19) << "the client wrote without the server holding it up";
  EXPECT_GE(written, std::size_t{1} << 19) << "the stream's window was open";
  EXPECT_EQ(call.finish().error_code(), ::grpc::StatusCode::DEADLINE_EXCEEDED);
  EXPECT_TRUE(test::wait_until([&] { return hold_ended == 1; }, 10s));
}

// Bad bytes from a client stream, over a real socket. A message whose prefix says more than
// max_message_bytes (4 MiB): RESOURCE_EXHAUSTED at once (Trailers-Only), not buffered, and the client is
// told to stop sending (RST_STREAM NO_ERROR, after the status).
TEST_F(GrpcWireBidi, AMessageOverTheLimitIsResourceExhaustedAndStopsTheUpload) {
  const std::string over = std::string("\0\0\x50\0\0", 5) + std::string(100, 'x');  // says 5 MiB, sends 100 bytes
  auto r = test::exchange(server->port(), test::h2_preface() + test::h2_frame(1, 4, 1, test::grpc_request_block("/test.Bidi/Join")) +
                                              test::h2_frame(0, 0, 1, over),
                          10s, /*half_close=*/true);
  const auto frames = test::h2_frames(r.got);
  const auto headers = test::h2_headers_on(frames, 1);
  EXPECT_EQ(test::h2_header(headers, "grpc-status"), "8") << testing::PrintToString(headers);
  auto status_at = std::find_if(frames.begin(), frames.end(), [](const test::H2Frame& f) { return f.type == 1 && f.stream == 1; });
  auto reset_at = std::find_if(frames.begin(), frames.end(), [](const test::H2Frame& f) { return f.type == 3 && f.stream == 1; });
  ASSERT_NE(reset_at, frames.end()) << "the client was not told to stop sending";
  EXPECT_EQ(reset_at->payload, std::string(4, '\0')) << "RST_STREAM NO_ERROR";
  EXPECT_LT(status_at, reset_at) << "the status came first";
}

// The same once the call has answered (its headers are out): the status still reaches a gRPC client
// before the reset, so it sees RESOURCE_EXHAUSTED, not a stream reset under it.
TEST_F(GrpcWireBidi, AMessageOverTheLimitMidStreamIsResourceExhaustedForTheClient) {
  BidiCall call(channel_to(address), "/test.Bidi/Echo", in(30s));
  ASSERT_TRUE(call.write(hello_bytes("a")));
  EXPECT_EQ(reply_text(call.read()), "echo a");
  call.write(hello_bytes(std::string((4 << 20) + 1, 'x')));  // may fail: the server stops the upload
  EXPECT_EQ(call.read(), std::nullopt);
  const auto status = call.finish();
  EXPECT_EQ(status.error_code(), ::grpc::StatusCode::RESOURCE_EXHAUSTED) << status.error_message();
  EXPECT_TRUE(test::wait_until([&] { return echo_ended == 1; }, 10s)) << "the handler ended";
}

// A last message cut short by the client's END_STREAM (its prefix says 10 bytes, 3 came): INTERNAL, as
// gRPC's servers answer it, and the handler does not take the piece as a message.
TEST_F(GrpcWireBidi, ALastMessageCutShortIsInternal) {
  const std::string cut = std::string("\0\0\0\0\x0a", 5) + "abc";
  auto r = test::exchange(server->port(), test::h2_preface() + test::h2_frame(1, 4, 1, test::grpc_request_block("/test.Bidi/Join")) +
                                              test::h2_frame(0, 1, 1, cut),
                          10s, /*half_close=*/true);
  const auto headers = test::h2_headers_on(test::h2_frames(r.got), 1);
  EXPECT_EQ(test::h2_header(headers, "grpc-status"), "13") << testing::PrintToString(headers);
  EXPECT_NE(test::h2_header(headers, "grpc-message").find("cut short"), std::string::npos) << testing::PrintToString(headers);
  EXPECT_TRUE(r.closed_by_server) << "the connection closed once the client was done";
}

// A handler that ends while its client still sends (here: an error at a request it cannot parse, after
// a reply): the status goes out, then RST_STREAM NO_ERROR tells the client to stop sending, as gRPC's
// servers do — not the other way round, which would leave the client without the status.
TEST_F(GrpcWireBidi, AHandlerThatEndsWhileTheClientSendsTellsItToStopAfterTheStatus) {
  const std::string garbage = std::string("\0\0\0\0\x04" "\x0a\x05" "ab", 9);  // a HelloRequest cut inside
  const std::string hello = hello_bytes("a");
  const std::string message = std::string("\0\0\0\0", 4) + static_cast<char>(hello.size()) + hello;
  auto reset_seen = [](const std::string& got) {
    const auto frames = test::h2_frames(got);
    return std::any_of(frames.begin(), frames.end(), [](const test::H2Frame& f) { return f.type == 3 && f.stream == 1; });
  };
  auto r = test::exchange(server->port(), test::h2_preface() + test::h2_frame(1, 4, 1, test::grpc_request_block("/test.Bidi/Echo")) +
                                              test::h2_frame(0, 0, 1, message) + test::h2_frame(0, 0, 1, garbage),
                          10s, /*half_close=*/false, reset_seen);
  const auto frames = test::h2_frames(r.got);
  const auto headers = test::h2_headers_on(frames, 1);
  EXPECT_EQ(test::h2_header(headers, "grpc-status"), "3") << testing::PrintToString(headers);
  auto trailers_at = std::find_if(frames.begin(), frames.end(), [](const test::H2Frame& f) { return f.type == 1 && f.stream == 1 && (f.flags & 1); });
  auto reset_at = std::find_if(frames.begin(), frames.end(), [](const test::H2Frame& f) { return f.type == 3 && f.stream == 1; });
  ASSERT_NE(trailers_at, frames.end()) << "no trailers";
  ASSERT_NE(reset_at, frames.end()) << "the client still sending was not told to stop";
  EXPECT_EQ(reset_at->payload, std::string(4, '\0')) << "RST_STREAM NO_ERROR";
  EXPECT_LT(trailers_at, reset_at) << "the status came first";
}

TEST_F(GrpcWireBidi, PythonsGrpcioStreamsBothWays) {
  auto r = test::run_command("/usr/bin/python3 " + svckit::test::paths::source_dir() + "/tests/transport/grpc_wire_python_bidi.py " + address);
  EXPECT_EQ(r.exit_code, 0) << r.output;
  for (const char* check : {"bidi: ok", "client stream: ok", "client stream error: ok", "bidi cancel: ok", "bidi deadline: ok"})
    EXPECT_NE(r.output.find(check), std::string::npos) << check << "\n" << r.output;
}

// The own wire's client (WireChannel::bidi_stream) against the own wire's server.
class WireClientBidi : public GrpcWireBidi {
 protected:
  // Runs drive on an io thread; the call's status.
  Status run(const std::string& method, const svckit::grpc::WireStreamDriver& drive, std::chrono::milliseconds timeout = 20s) {
    if (!channel) {
      channel = svckit::grpc::WireChannel::create(address);
      // Connected first (with a call of nothing), so a short deadline is the call's alone.
      auto warm = run("/test.Bidi/Join", [](svckit::grpc::WireStreamReader& in, svckit::grpc::WireRequestWriter& out) -> boost::asio::awaitable<void> {
        out.close();
        while (co_await in.read()) {
        }
      }, 30s);
      EXPECT_TRUE(warm.ok()) << warm;
    }
    return boost::asio::co_spawn(io.context(0), [this, method, drive, timeout]() -> boost::asio::awaitable<Status> {
      Context ctx;
      ctx.set_timeout(timeout);
      co_return co_await channel->bidi_stream(method, ctx, drive);
    }, boost::asio::use_future).get();
  }
  std::shared_ptr<svckit::grpc::WireChannel> channel;
};

TEST_F(WireClientBidi, RepliesComeAsRequestsDo) {
  std::vector<std::string> got;
  auto st = run("/test.Bidi/Echo", [&](svckit::grpc::WireStreamReader& in, svckit::grpc::WireRequestWriter& out) -> boost::asio::awaitable<void> {
    for (const std::string name : {"a", "b", "c"}) {
      if (!co_await out.write(hello_bytes(name))) co_return;
      auto reply = co_await in.read();  // before the next request: the server answered this one already
      got.push_back(reply_text(reply));
    }
    out.close();
    if (auto more = co_await in.read()) got.push_back("unexpected " + reply_text(more));
  });
  EXPECT_TRUE(st.ok()) << st;
  EXPECT_EQ(got, (std::vector<std::string>{"echo a", "echo b", "echo c"}));
  EXPECT_EQ(channel->connections_opened(), 1u);
}

TEST_F(WireClientBidi, AClientStreamOfLargeMessagesGetsItsOneReply) {
  std::string got;
  auto st = run("/test.Bidi/Join", [&](svckit::grpc::WireStreamReader& in, svckit::grpc::WireRequestWriter& out) -> boost::asio::awaitable<void> {
    for (int i = 0; i < 20; ++i)
      if (!co_await out.write(hello_bytes(std::string(1 << 20, 'a' + i)))) co_return;
    out.close();
    got = reply_text(co_await in.read());
    if (co_await in.read()) got = "more than one reply";
  }, 60s);
  EXPECT_TRUE(st.ok()) << st;
  EXPECT_EQ(got.substr(0, got.find(' ', 3)), "20 " + std::to_string(20 << 20));
}

TEST_F(WireClientBidi, TheServersErrorIsTheCallsStatus) {
  auto st = run("/test.Bidi/Join", [&](svckit::grpc::WireStreamReader& in, svckit::grpc::WireRequestWriter& out) -> boost::asio::awaitable<void> {
    co_await out.write(hello_bytes("x"));
    co_await out.write(hello_bytes("fail"));
    while (co_await in.read()) {
    }
  });
  EXPECT_EQ(st.code(), StatusCode::InvalidArgument) << st;
  EXPECT_EQ(st.message(), "told to fail after 1");
}

// A driver that returns before the stream's end: the stream is reset, the server's handler ends.
TEST_F(WireClientBidi, ADriverThatLeavesEarlyCancelsTheStream) {
  auto st = run("/test.Bidi/Echo", [&](svckit::grpc::WireStreamReader& in, svckit::grpc::WireRequestWriter& out) -> boost::asio::awaitable<void> {
    co_await out.write(hello_bytes("a"));
    co_await in.read();
  });
  EXPECT_EQ(st.code(), StatusCode::Cancelled) << st;
  EXPECT_TRUE(test::wait_until([&] { return echo_ended == 1; }, 10s)) << "the server's handler ended with the reset";
}

TEST_F(WireClientBidi, PastItsDeadlineTheCallEnds) {
  bool read_ended = false;
  auto st = run("/test.Bidi/Hold", [&](svckit::grpc::WireStreamReader& in, svckit::grpc::WireRequestWriter&) -> boost::asio::awaitable<void> {
    read_ended = !(co_await in.read());
  }, 500ms);
  EXPECT_EQ(st.code(), StatusCode::DeadlineExceeded) << st;
  EXPECT_TRUE(read_ended);
  EXPECT_TRUE(test::wait_until([&] { return hold_ended == 1; }, 10s));
}

// A server whose handler does not read: the driver's writes wait once the stream's window (1 MiB) and the
// client's buffer (256 KiB) are full, and end with the call at its deadline.
TEST_F(WireClientBidi, AServerThatDoesNotReadHoldsUpTheWriter) {
  std::size_t written = 0;
  const std::string chunk = hello_bytes(std::string(64 * 1024, 'h'));
  auto st = run("/test.Bidi/Hold", [&](svckit::grpc::WireStreamReader&, svckit::grpc::WireRequestWriter& out) -> boost::asio::awaitable<void> {
    while (written < (std::size_t{16} << 20) && co_await out.write(chunk)) written += chunk.size();
  }, 2s);
  EXPECT_EQ(st.code(), StatusCode::DeadlineExceeded) << st;
  EXPECT_LE(written, std::size_t{2} << 20) << "the writer went on without the server taking its messages";
  EXPECT_GE(written, std::size_t{1} << 19);
  EXPECT_TRUE(test::wait_until([&] { return hold_ended == 1; }, 10s));
}

}  // namespace
