// Fuzz target: bytes sent to a real svckit HTTP server over loopback, as a client would send them. The
// server (Beast's parser, svckit's framing checks, header-to-Context copy, routing, JSON decoding of a
// serve() endpoint) runs in this process, so ASan/UBSan see any fault in it. Each input is one connection:
// written whole, then half-closed; the answer is read until the server closes. After every input the
// server must still answer a well-formed request.

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <string>

#include "loopback_client.hpp"
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
    client.port = server->port();
  }

  svckit::fuzz::LoopbackClient client;
};

Harness& harness() {
  static auto* h = new Harness;  // lives for the whole run (never destroyed: the fuzzer exits from anywhere)
  return *h;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  auto& h = harness();
  (void)h.client.exchange({}, data, size);
  static unsigned long runs = 0;
  if (++runs % 256 == 0) {  // still serving (checked now and then: it doubles the cost of an input)
    static const std::string probe = "POST /items HTTP/1.1\r\nHost: f\r\nContent-Length: 12\r\nConnection: close\r\n\r\n{\"name\":\"a\"}";
    auto answer = h.client.exchange({}, reinterpret_cast<const std::uint8_t*>(probe.data()), probe.size());
    if (answer.rfind("HTTP/1.1 200", 0) != 0) {
      std::fprintf(stderr, "the server stopped serving: %s\n", answer.c_str());
      std::abort();
    }
  }
  return 0;
}
