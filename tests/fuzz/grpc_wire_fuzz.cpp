// Fuzz target: HTTP/2 frames sent to a real svckit gRPC wire server (wire_server.hpp) over loopback, after
// the client preface. The server — nghttp2's frame and HPACK parsing, svckit's stream handling, gRPC message
// framing (wire/framing.hpp), grpc-timeout (wire/timeout.hpp), metadata into the Context — runs in this
// process, so ASan/UBSan see any fault in it. Each input is one connection, written whole and then
// half-closed; the answer is read until the server closes. Every 256 inputs the server must still answer a
// well-formed call. Seeds (corpus/grpc_wire_fuzz) are whole connections: unary calls, two interleaved calls,
// a cancelled call, an unknown method, a server stream, a bidirectional stream (whole, and with its last
// message cut short), and a health Check and Watch (a Watch never ends by itself: the half-close must end it).

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <string>

#include "loopback_client.hpp"
#include "svckit/io_pool.hpp"
#include "svckit/log.hpp"
#include "svckit/transport/grpc/wire_server.hpp"

namespace {

struct Harness {
  svckit::IoPool io{1};
  std::shared_ptr<svckit::grpc::WireServer> server;

  Harness() {
    svckit::log::configure(svckit::log::Level::Error, svckit::log::Format::Logfmt, [](std::string_view) {});
    server = std::make_shared<svckit::grpc::WireServer>(
        io, svckit::grpc::WireServerOptions{.address = "127.0.0.1:0", .max_message_bytes = 64 << 10, .max_concurrent_streams = 100,
                                            .preface_timeout = std::chrono::milliseconds(2000)});
    // Echoes the request's bytes with the metadata count appended (the Context is read, not just built).
    server->add_raw("/fuzz.Echo/Echo", [](const svckit::Context& ctx, std::string_view in) -> boost::asio::awaitable<svckit::grpc::WireReply> {
      co_return svckit::grpc::WireReply{svckit::Status(), std::string(in) + std::to_string(ctx.metadata().size())};
    });
    // A server stream: the request's bytes three times (flow control, deferred DATA, trailers after messages).
    server->add_server_stream("/fuzz.Echo/Stream", [](const svckit::Context&, std::string_view in,
                                                      svckit::grpc::WireStreamWriter& out) -> boost::asio::awaitable<svckit::Status> {
      const std::string message(in);
      for (int i = 0; i < 3; ++i)
        if (!co_await out.write(message)) co_return svckit::Status(svckit::StatusCode::Cancelled, "gone");
      co_return svckit::Status();
    });
    // A bidirectional stream: each message echoed as it comes (windows given back as it reads), then OK.
    server->add_bidi_stream("/fuzz.Echo/Bidi", [](const svckit::Context&, svckit::grpc::WireStreamReader& in,
                                                  svckit::grpc::WireStreamWriter& out) -> boost::asio::awaitable<svckit::Status> {
      while (auto m = co_await in.read())
        if (!co_await out.write(*m)) co_return svckit::Status(svckit::StatusCode::Cancelled, "gone");
      co_return svckit::Status();
    });
    server->set_serving(true);  // grpc.health.v1 Check and Watch are served too
    server->start();
    io.start();
    client.port = server->port();
  }

  svckit::fuzz::LoopbackClient client;
};

Harness& harness() {
  static auto* h = new Harness;  // lives for the whole run (never destroyed: the fuzzer exits from anywhere)
  return *h;
}

// A SETTINGS frame, one HEADERS frame (HPACK: POST /fuzz.Echo/Echo, content-type application/grpc) and one
// DATA frame holding the message "probe-ok-123", ending the stream.
std::string probe() {
  std::string call = std::string("\0\0\0\x04\0\0\0\0\0", 9);
  const std::string block = std::string("\x83\x86") +                   // :method POST, :scheme http
                            "\x04\x0f/fuzz.Echo/Echo" +                  // :path (literal, indexed name)
                            "\x01\x01x" +                                // :authority x
                            "\x5f\x10" "application/grpc";               // content-type
  auto frame = [](char type, char flags, const std::string& payload) {
    std::string f = {0, static_cast<char>(payload.size() >> 8), static_cast<char>(payload.size()), type, flags, 0, 0, 0, 1};
    return f + payload;
  };
  const std::string message = "probe-ok-123";
  return call + frame(1, 4, block) + frame(0, 1, std::string(4, '\0') + static_cast<char>(message.size()) + message);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  auto& h = harness();
  static constexpr std::string_view preface = "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n";
  (void)h.client.exchange(preface, data, size);
  static unsigned long runs = 0;
  if (++runs % 256 == 1) {  // still serving (checked now and then: it doubles the cost of an input)
    static const std::string call = probe();
    auto answer = h.client.exchange(preface, reinterpret_cast<const std::uint8_t*>(call.data()), call.size());
    if (answer.find("probe-ok-1230") == std::string::npos) {
      std::fprintf(stderr, "the server stopped serving (%zu bytes answered)\n", answer.size());
      std::abort();
    }
  }
  return 0;
}
