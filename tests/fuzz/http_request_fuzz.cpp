// Fuzz target: bytes sent to a real svckit HTTP server over loopback, as a client would send them. The
// server (Beast's parser, svckit's framing checks, header-to-Context copy, routing, JSON decoding of a
// serve() endpoint) runs in this process, so ASan/UBSan see any fault in it. Each input is one connection:
// written whole, then half-closed; the answer is read until the server closes. After every input the
// server must still answer a well-formed request.
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <string>

#include "svckit/codec/json.hpp"
#include "svckit/io_pool.hpp"
#include "svckit/log.hpp"
#include "svckit/transport/http/serve.hpp"
#include "svckit/transport/http/server.hpp"

namespace {

struct Item {
  std::string name;
  std::int64_t count = 0;
  std::optional<bool> done;
  std::vector<std::string> tags;
};
void from_json(svckit::json::ObjectReader& r, Item& i) {
  r.required("name", i.name);
  r.optional("count", i.count);
  r.optional("done", i.done);
  r.optional("tags", i.tags);
}
void to_json(boost::json::object& o, const Item& i) {
  o["name"] = i.name;
  o["count"] = i.count;
}

struct Harness {
  svckit::IoPool io{1};
  std::shared_ptr<svckit::http::Server> server;

  Harness() {
    svckit::log::configure(svckit::log::Level::Error, svckit::log::Format::Logfmt, [](std::string_view) {});
    using svckit::http::Verb;
    svckit::http::Router router;
    auto echo = svckit::http::serve<Item, Item>(
        [](const svckit::Context& ctx, const Item& i) -> boost::asio::awaitable<svckit::Result<Item>> {
          Item out = i;
          out.count += static_cast<std::int64_t>(ctx.metadata().size());
          co_return out;
        });
    router.add(Verb::post, "/items", echo);
    router.add(Verb::put, "/items/{id}", echo);
    router.add(Verb::get, "/items/{id}/tags/{tag}", [](svckit::http::Request& req) -> boost::asio::awaitable<svckit::http::Response> {
      svckit::http::Response res;
      res.body() = std::string(req.param("id")) + "/" + std::string(req.param("tag")) + "?" +
                   svckit::http::url_decode(req.query("q")).value_or("(malformed)");
      co_return res;
    });
    server = std::make_shared<svckit::http::Server>(
        io, svckit::http::ServerOptions{.address = "127.0.0.1:0", .body_limit = 64 << 10, .header_limit = 8 << 10,
                                        .read_timeout = std::chrono::milliseconds(2000),
                                        .write_timeout = std::chrono::milliseconds(2000)},
        std::move(router));
    server->start();
    io.start();
  }

  // libFuzzer's -timeout runs on SIGALRM, so any blocking call here may return EINTR. An interrupted
  // connect goes on in the background: wait for it and read its outcome.
  static bool finish_interrupted_connect(int fd) {
    if (errno != EINTR) return false;
    pollfd p{fd, POLLOUT, 0};
    while (::poll(&p, 1, 5000) < 0 && errno == EINTR) {
    }
    int err = 0;
    socklen_t len = sizeof err;
    if (::getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len) != 0 || err != 0) return false;
    return (p.revents & POLLOUT) != 0;
  }

  int connect() const {
    int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(server->port());
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    timeval tv{5, 0};  // a server that hangs fails the input rather than the fuzzer
    ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    ::setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
    if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 && !finish_interrupted_connect(fd)) {
      std::perror("connect");
      std::abort();
    }
    return fd;
  }

  // Sends bytes, half-closes, and reads until the server closes; returns what it answered.
  std::string exchange(const std::uint8_t* data, std::size_t size) const {
    int fd = connect();
    for (std::size_t sent = 0; sent < size;) {
      auto n = ::send(fd, data + sent, size - sent, MSG_NOSIGNAL);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) break;  // the server closed early (a refused request): fine
      sent += static_cast<std::size_t>(n);
    }
    ::shutdown(fd, SHUT_WR);
    std::string got;
    char buf[4096];
    for (;;) {
      auto n = ::recv(fd, buf, sizeof buf, 0);
      if (n < 0 && errno == EINTR) continue;
      if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
        std::fprintf(stderr, "the server neither answered nor closed within 5 s\n");
        std::abort();
      }
      if (n <= 0) break;
      got.append(buf, static_cast<std::size_t>(n));
    }
    ::close(fd);
    return got;
  }
};

Harness& harness() {
  static auto* h = new Harness;  // lives for the whole run (never destroyed: the fuzzer exits from anywhere)
  return *h;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  auto& h = harness();
  (void)h.exchange(data, size);
  static unsigned long runs = 0;
  if (++runs % 256 == 0) {  // still serving (checked now and then: it doubles the cost of an input)
    static const std::string probe = "POST /items HTTP/1.1\r\nHost: f\r\nContent-Length: 12\r\nConnection: close\r\n\r\n{\"name\":\"a\"}";
    auto answer = h.exchange(reinterpret_cast<const std::uint8_t*>(probe.data()), probe.size());
    if (answer.rfind("HTTP/1.1 200", 0) != 0) {
      std::fprintf(stderr, "the server stopped serving: %s\n", answer.c_str());
      std::abort();
    }
  }
  return 0;
}
