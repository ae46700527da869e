// Serves one HTTP endpoint and calls it with the svckit client: proves the installed headers and library
// are complete.
#include <iostream>

#include <svckit/codec/json.hpp>
#include <svckit/io_pool.hpp>
#include <svckit/transport/http/client.hpp>
#include <svckit/transport/http/serve.hpp>
#include <svckit/transport/http/server.hpp>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/use_future.hpp>

struct Text {
  std::string s;
};
void from_json(svckit::json::ObjectReader& r, Text& t) { r.required("s", t.s); }
void to_json(boost::json::object& o, const Text& t) { o["s"] = t.s; }

int main() {
  svckit::IoPool io(1);
  svckit::http::Router router;
  router.add(svckit::http::Verb::post, "/upper",
             svckit::http::serve<Text, Text>([](const svckit::Context&, const Text& t) -> boost::asio::awaitable<svckit::Result<Text>> {
               Text out = t;
               for (auto& c : out.s) c = static_cast<char>(std::toupper(c));
               co_return out;
             }));
  svckit::http::Server server(io, {.address = "127.0.0.1:0"}, std::move(router));
  server.start();
  io.start();
  svckit::http::Client client("127.0.0.1", server.port());
  auto fut = boost::asio::co_spawn(
      io.context(0),
      [&]() -> boost::asio::awaitable<std::string> {
        svckit::Context ctx;
        auto res = co_await client.request(ctx, svckit::http::Verb::post, "/upper", R"({"s":"hello"})");
        if (!res.ok()) co_return res.status().to_string();
        auto text = svckit::json::Codec<Text>::decode(res->body());
        co_return (text.ok() ? text->s : text.status().to_string()) + " " + std::to_string(res->result_int());
      },
      boost::asio::use_future);
  std::cout << "consumer: " << fut.get() << "\n";
  server.shutdown(std::chrono::steady_clock::now() + std::chrono::seconds(1));
  io.stop();
  io.join();
}
