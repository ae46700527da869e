// Fuzz target: what a server sends to svckit's own gRPC wire client (wire_channel.hpp). Each input is a
// server's side of one connection: a fake server in this process accepts the client's connection, writes a
// SETTINGS frame and the input, then closes. The client — nghttp2's frame and HPACK parsing, svckit's reply
// handling (status, grpc-message, pushback, message framing), its connection checks — runs in this process
// under ASan/UBSan, and its call must end (with any status) once the server has closed: a call left hanging
// aborts the input. Three calls share the connection: a unary call (stream 1), a server-streaming call
// (stream 3, whose writer ends the call after 4 messages) and a bidirectional one (stream 5). Seeds
// (corpus/grpc_wire_client_fuzz): an OK reply, a Trailers-Only error with pushback, a GOAWAY, a refused
// stream, a server stream of 3 messages, the same on the bidirectional stream.

#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <future>
#include <memory>
#include <string>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/use_future.hpp>

#include "loopback_client.hpp"  // send_all
#include "svckit/io_pool.hpp"
#include "svckit/transport/grpc/wire_channel.hpp"

namespace {

struct Harness {
  svckit::IoPool io{1};
  int listener = -1;
  std::string target;

  Harness() {
    listener = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof addr;
    if (::bind(listener, reinterpret_cast<sockaddr*>(&addr), len) != 0 || ::listen(listener, 16) != 0 ||
        ::getsockname(listener, reinterpret_cast<sockaddr*>(&addr), &len) != 0) {
      std::perror("listen");
      std::abort();
    }
    target = "127.0.0.1:" + std::to_string(ntohs(addr.sin_port));
    io.start();
  }

  int accept() const {
    for (;;) {
      int fd = ::accept(listener, nullptr, nullptr);
      if (fd >= 0) return fd;
      if (errno != EINTR) {
        std::perror("accept");
        std::abort();
      }
    }
  }
};

Harness& harness() {
  static auto* h = new Harness;  // lives for the whole run (never destroyed: the fuzzer exits from anywhere)
  return *h;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  auto& h = harness();
  // A channel per input, so its call opens a connection of its own (an earlier one may not have seen its
  // server close yet).
  auto channel = svckit::grpc::WireChannel::create(h.target, {.max_message_bytes = 64 << 10});
  // The call's arguments are references: they live here until the call has ended.
  svckit::Context ctx;
  ctx.set_timeout(std::chrono::seconds(10));
  const std::string method = "/fuzz.Echo/Echo";
  const svckit::grpc::ClientOptions opts{.metadata = {{"x-k", "v"}}};
  auto call = boost::asio::co_spawn(h.io.context(0), channel->unary(method, ctx, "probe", opts), boost::asio::use_future);
  int taken = 0;
  const svckit::grpc::WireMessageSink sink = [&taken](std::string) -> boost::asio::awaitable<bool> { co_return ++taken < 4; };
  auto stream = boost::asio::co_spawn(h.io.context(0), channel->server_stream(method, ctx, "probe", sink, opts), boost::asio::use_future);
  // A bidirectional stream: two requests, then up to 4 replies read, then the client's side closed (and
  // whatever else comes read to the end).
  const svckit::grpc::WireStreamDriver drive = [](svckit::grpc::WireStreamReader& in,
                                                  svckit::grpc::WireRequestWriter& out) -> boost::asio::awaitable<void> {
    if (co_await out.write("one")) co_await out.write("two");
    for (int i = 0; i < 4; ++i)
      if (!co_await in.read()) co_return;
    out.close();
    while (co_await in.read()) {
    }
  };
  auto bidi = boost::asio::co_spawn(h.io.context(0), channel->bidi_stream(method, ctx, drive, opts), boost::asio::use_future);
  const int fd = h.accept();  // a connection per input: the last one was closed by its server
  static const std::string settings("\0\0\0\x04\0\0\0\0\0", 9);
  if (svckit::fuzz::LoopbackClient::send_all(fd, reinterpret_cast<const std::uint8_t*>(settings.data()), settings.size()))
    svckit::fuzz::LoopbackClient::send_all(fd, data, size);
  ::shutdown(fd, SHUT_WR);
  if (call.wait_for(std::chrono::seconds(5)) != std::future_status::ready ||
      stream.wait_for(std::chrono::seconds(5)) != std::future_status::ready ||
      bidi.wait_for(std::chrono::seconds(5)) != std::future_status::ready) {
    std::fprintf(stderr, "a call did not end within 5 s of the server closing its connection\n");
    std::abort();
  }
  (void)call.get();
  (void)stream.get();
  (void)bidi.get();
  ::close(fd);
  return 0;
}
