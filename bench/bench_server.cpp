// One benchmark server per mode, on 127.0.0.1:PORT, until killed:
//   http-svckit  POST /uppercase through svckit (Boost.JSON struct codec, logging middleware at warn level)
//                — vs http-beast (bare Beast doing the same JSON work)
//   http-sleep   POST /sleep: each request waits 100 ms on an asynchronous timer (concurrency benchmark)
//   grpc-svckit  /stringsvc.pb.StringService/Uppercase through svckit              — vs grpc-bare
//   grpc-wire    the same through svckit's own gRPC wire (wire_server.hpp), on the io threads
#include <iostream>

#include <CLI/CLI.hpp>
#include <boost/asio/steady_timer.hpp>

#include "bare_servers.hpp"
#include "endpoints.hpp"
#include "service.hpp"
#include "svckit/codec/json.hpp"
#include "svckit/middleware.hpp"
#include "svckit/middleware/logging.hpp"
#include "svckit/runner.hpp"
#include "svckit/transport/grpc/server.hpp"
#include "svckit/transport/http/serve.hpp"
#include "svckit/transport/http/server.hpp"
#include "transport.hpp"

namespace {
// The same JSON work as the bare Beast server: Boost.JSON in, uppercase, Boost.JSON out.
struct UpperIn {
  std::string s;
};
struct UpperOut {
  std::string v;
};
void from_json(svckit::json::ObjectReader& r, UpperIn& in) { r.required("s", in.s); }
void to_json(boost::json::object& o, const UpperOut& out) { o["v"] = out.v; }

struct Empty {};
void from_json(svckit::json::ObjectReader&, Empty&) {}
void to_json(boost::json::object& o, const Empty&) { o["ok"] = true; }
}  // namespace

int main(int argc, char** argv) {
  std::string mode;
  int port = 0;
  int threads = 2;
  int cq_threads = 1;
  CLI::App app{"bench_server: servers for bench/run.sh"};
  app.add_option("mode", mode)->required()->check(
      CLI::IsMember({"http-svckit", "http-beast", "http-sleep", "grpc-svckit", "grpc-wire", "grpc-bare"}));
  app.add_option("--port", port)->required();
  app.add_option("--threads", threads)->capture_default_str();
  app.add_option("--cq-threads", cq_threads)->capture_default_str();
  CLI11_PARSE(app, argc, argv);

  if (mode == "http-beast") bench::run_bare_beast(static_cast<std::uint16_t>(port), threads);
  if (mode == "grpc-bare") bench::run_bare_grpc(static_cast<std::uint16_t>(port), cq_threads);

  svckit::RunnerOptions opts;
  opts.threads = static_cast<std::size_t>(threads);
  opts.log_level = "warn";  // per-request logging off: we measure the toolkit, not the terminal
  svckit::Runner runner(opts);
  auto endpoints = stringsvc::make_server_endpoints(stringsvc::make_string_service());
  const std::string addr = "127.0.0.1:" + std::to_string(port);
  if (mode == "grpc-svckit" || mode == "grpc-wire") {
    auto grpc = std::make_shared<svckit::grpc::Server>(
        runner.io(), svckit::grpc::ServerOptions{.address = addr, .cq_threads = cq_threads, .own_wire = mode == "grpc-wire"});
    stringsvc::add_grpc_methods(*grpc, endpoints);
    runner.add(grpc);
  } else {
    svckit::http::Router router;
    if (mode == "http-svckit") {
      svckit::Endpoint<UpperIn, UpperOut> upper = [](const svckit::Context&, const UpperIn& in) -> boost::asio::awaitable<svckit::Result<UpperOut>> {
        UpperOut out{in.s};
        for (auto& c : out.v) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
        co_return out;
      };
      router.add(svckit::http::Verb::post, "/uppercase",
                 svckit::http::serve(svckit::chain(upper, svckit::middleware::Logging{svckit::log::Logger("bench"), "uppercase"})));
    }
    svckit::Endpoint<Empty, Empty> sleep100 = [](const svckit::Context&, const Empty& e) -> boost::asio::awaitable<svckit::Result<Empty>> {
      boost::asio::steady_timer t(co_await boost::asio::this_coro::executor, std::chrono::milliseconds(100));
      co_await t.async_wait(boost::asio::use_awaitable);
      co_return e;
    };
    router.add(svckit::http::Verb::post, "/sleep", svckit::http::serve(sleep100));
    runner.add(std::make_shared<svckit::http::Server>(runner.io(), svckit::http::ServerOptions{.address = addr}, std::move(router)));
  }
  return runner.run();
}
