// Test support: a real svckit HTTP server on 127.0.0.1 (free port) with a few routes, and raw-socket helpers
// for sending exactly the bytes a misbehaving client would.
#pragma once

#include <gtest/gtest.h>

#include <memory>
#include <string>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/json/serialize.hpp>

#include "svckit/codec/json.hpp"
#include "svckit/io_pool.hpp"
#include "svckit/transport/http/serve.hpp"
#include "svckit/transport/http/server.hpp"

namespace svckit::test {

struct Greeting {
  std::string name;
};
inline void from_json(json::ObjectReader& r, Greeting& g) { r.required("name", g.name); }
inline void to_json(boost::json::object& o, const Greeting& g) { o["name"] = g.name; }

struct Echo {  // what the server saw, returned to the client
  std::string name, request_id;
  long long timeout_ms = -1;
};
inline void from_json(json::ObjectReader& r, Echo& e) {
  r.required("name", e.name);
  r.required("request_id", e.request_id);
  r.required("timeout_ms", e.timeout_ms);
}
inline void to_json(boost::json::object& o, const Echo& e) {
  o["name"] = e.name;
  o["request_id"] = e.request_id;
  o["timeout_ms"] = e.timeout_ms;
}

struct Sleep {
  int ms = 0;
};
inline void from_json(json::ObjectReader& r, Sleep& s) { r.required("ms", s.ms); }
inline void to_json(boost::json::object& o, const Sleep& s) { o["ms"] = s.ms; }

class HttpFixture : public ::testing::Test {
 protected:
  void SetUp() override { start({}); }
  void TearDown() override { stop(); }

  void start(http::ServerOptions opts) {
    opts.address = "127.0.0.1:0";
    http::Router router;
    using http::Verb;
    router.add(Verb::post, "/echo",
               http::serve<Greeting, Echo>([](const Context& ctx, const Greeting& g) -> boost::asio::awaitable<Result<Echo>> {
                 Echo e{g.name, ctx.request_id(), -1};
                 if (auto left = ctx.remaining())
                   e.timeout_ms = std::chrono::duration_cast<std::chrono::milliseconds>(*left).count();
                 co_return e;
               }));
    router.add(Verb::get, "/greetings/{name}",
               http::serve<Greeting, Greeting>(
                   [](const Context&, const Greeting& g) -> boost::asio::awaitable<Result<Greeting>> {
                     if (g.name == "nobody") co_return not_found("no greeting for nobody");
                     co_return Greeting{"hello " + g.name};
                   },
                   {.decode = [](const http::Request& r) -> Result<Greeting> {
                     return Greeting{std::string(r.param("name"))};
                   }}));
    router.add(Verb::post, "/sleep",
               http::serve<Sleep, Sleep>([this](const Context&, const Sleep& s) -> boost::asio::awaitable<Result<Sleep>> {
                 ++sleepers_started;
                 boost::asio::steady_timer t(co_await boost::asio::this_coro::executor, std::chrono::milliseconds(s.ms));
                 auto [ec] = co_await t.async_wait(boost::asio::as_tuple(boost::asio::use_awaitable));
                 if (ec) ++sleepers_cancelled;
                 co_return s;
               }));
    router.add(Verb::get, "/big/{mib}", [](http::Request& req) -> boost::asio::awaitable<http::Response> {
      http::Response res;  // a body larger than the socket buffers: a client that does not read stalls the write
      res.body().assign(std::stoul(std::string(req.param("mib"))) << 20, 'x');
      co_return res;
    });
    router.add(Verb::get, "/metadata", [](http::Request& req) -> boost::asio::awaitable<http::Response> {
      boost::json::object md;  // what the Context carries on: the request id and every metadata entry
      md["request_id"] = req.ctx.request_id();
      for (const auto& [k, v] : req.ctx.metadata()) md[k] = v;
      http::Response res;
      res.body() = boost::json::serialize(md);
      co_return res;
    });
    router.add(Verb::post, "/throw", [](http::Request&) -> boost::asio::awaitable<http::Response> {
      throw std::runtime_error("boom");
      co_return http::Response{};
    });
    server = std::make_shared<http::Server>(io, opts, std::move(router));
    server->start();
    io.start();
  }

  void stop() {
    if (server) server->shutdown(std::chrono::steady_clock::now() + std::chrono::seconds(5));
    server.reset();
    io.stop();
    io.join();
  }

  using tcp = boost::asio::ip::tcp;
  tcp::socket connect() {
    tcp::socket s(client_io);
    s.connect(tcp::endpoint(boost::asio::ip::make_address("127.0.0.1"), server->port()));
    return s;
  }
  static void send(tcp::socket& s, std::string_view bytes) { boost::asio::write(s, boost::asio::buffer(bytes)); }
  static http::Response read_response(tcp::socket& s, boost::beast::flat_buffer& buf) {
    http::Response res;
    boost::beast::http::read(s, buf, res);
    return res;
  }
  /// Reads until the server closes the connection; true if it did (rather than erroring otherwise).
  static bool closed_by_server(tcp::socket& s) {
    char c[256];
    boost::system::error_code ec;
    while (!ec) s.read_some(boost::asio::buffer(c), ec);
    return ec == boost::asio::error::eof || ec == boost::asio::error::connection_reset;
  }
  /// One request on a fresh connection; returns the response.
  http::Response roundtrip(std::string_view raw) {
    auto s = connect();
    send(s, raw);
    boost::beast::flat_buffer buf;
    return read_response(s, buf);
  }

  IoPool io{2};
  boost::asio::io_context client_io;
  std::shared_ptr<http::Server> server;
  std::atomic<int> sleepers_started{0};
  std::atomic<int> sleepers_cancelled{0};
};

inline std::string post(std::string_view target, std::string_view body, std::string_view extra_headers = "") {
  return "POST " + std::string(target) + " HTTP/1.1\r\nHost: t\r\nContent-Type: application/json\r\n" +
         std::string(extra_headers) + "Content-Length: " + std::to_string(body.size()) + "\r\n\r\n" + std::string(body);
}

}  // namespace svckit::test
