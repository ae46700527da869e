#include <cctype>
#include <thread>
#include <vector>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/json.hpp>

#include "bare_servers.hpp"

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;

namespace {

asio::awaitable<void> session(tcp::socket sock) {
  beast::tcp_stream stream(std::move(sock));
  beast::flat_buffer buf;
  for (;;) {
    http::request<http::string_body> req;
    auto [ec, n] = co_await http::async_read(stream, buf, req, asio::as_tuple(asio::use_awaitable));
    if (ec) break;
    http::response<http::string_body> res{http::status::ok, req.version()};
    boost::system::error_code jec;
    auto v = boost::json::parse(req.body(), jec);
    if (jec || !v.is_object() || !v.as_object().contains("s")) {
      res.result(http::status::bad_request);
      res.body() = R"({"error":"bad request"})";
    } else {
      std::string s(v.as_object()["s"].as_string());
      for (auto& c : s) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
      boost::json::object o;
      o["v"] = s;
      res.body() = boost::json::serialize(o);
    }
    res.set(http::field::content_type, "application/json");
    res.keep_alive(req.keep_alive());
    res.prepare_payload();
    auto [wec, wn] = co_await http::async_write(stream, res, asio::as_tuple(asio::use_awaitable));
    if (wec || !res.keep_alive()) break;
  }
}

asio::awaitable<void> listener(tcp::acceptor& acc) {
  for (;;) {
    auto [ec, s] = co_await acc.async_accept(asio::as_tuple(asio::use_awaitable));
    if (ec) continue;
    s.set_option(tcp::no_delay(true));
    asio::co_spawn(acc.get_executor(), session(std::move(s)), asio::detached);
  }
}

}  // namespace

namespace bench {

void run_bare_beast(std::uint16_t port, int threads) {
  std::vector<std::unique_ptr<asio::io_context>> ios;
  std::vector<std::unique_ptr<tcp::acceptor>> accs;
  std::vector<std::thread> ts;
  for (int i = 0; i < threads; ++i) {
    ios.push_back(std::make_unique<asio::io_context>(1));
    auto acc = std::make_unique<tcp::acceptor>(*ios.back());
    tcp::endpoint ep(asio::ip::make_address("127.0.0.1"), port);
    acc->open(ep.protocol());
    acc->set_option(tcp::acceptor::reuse_address(true));
    int one = 1;
    ::setsockopt(acc->native_handle(), SOL_SOCKET, SO_REUSEPORT, &one, sizeof one);
    acc->bind(ep);
    acc->listen();
    asio::co_spawn(*ios.back(), listener(*acc), asio::detached);
    accs.push_back(std::move(acc));
  }
  for (auto& io : ios) ts.emplace_back([&io] { io->run(); });
  for (auto& t : ts) t.join();
}

}  // namespace bench
