// stringsvc-client — calls a running stringsvc over HTTP/JSON or gRPC through svckit client endpoints.
//   stringsvc-client --transport grpc --addr 127.0.0.1:8081 uppercase hello
#include <iostream>

#include <CLI/CLI.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/use_future.hpp>

#include "transport.hpp"

int main(int argc, char** argv) {
  std::string transport = "http";
  std::string addr;
  std::string op;
  std::string text;
  int timeout_ms = 2000;
  CLI::App app{"stringsvc-client: calls stringsvc's uppercase or count"};
  app.add_option("--transport", transport, "http|grpc")->check(CLI::IsMember({"http", "grpc"}))->capture_default_str();
  app.add_option("--addr", addr, "server address host:port")->required();
  app.add_option("--timeout-ms", timeout_ms, "deadline for the call")->capture_default_str();
  app.add_option("op", op, "uppercase|count")->required()->check(CLI::IsMember({"uppercase", "count"}));
  app.add_option("text", text, "the string")->required();
  CLI11_PARSE(app, argc, argv);

  boost::asio::io_context io;  // declared first: the client's pooled connections must not outlive it
  auto e = transport == "http" ? stringsvc::make_http_client(addr) : stringsvc::make_grpc_client(addr);
  // Both operations take {"s": text} and answer {"v": ...}: one call helper serves either endpoint.
  auto call = [&](auto& endpoint, auto request) -> boost::asio::awaitable<int> {
    svckit::Context ctx;
    ctx.set_request_id(svckit::new_request_id());
    ctx.set_timeout(std::chrono::milliseconds(timeout_ms));
    request.set_s(text);
    auto r = co_await endpoint(ctx, request);
    if (!r.ok()) {
      std::cerr << "error: " << r.status() << "\n";
      co_return 1;
    }
    std::cout << r->v() << "\n";
    co_return 0;
  };
  auto fut = op == "uppercase"
                 ? boost::asio::co_spawn(io, call(e.uppercase, stringsvc::UppercaseRequest{}), boost::asio::use_future)
                 : boost::asio::co_spawn(io, call(e.count, stringsvc::CountRequest{}), boost::asio::use_future);
  io.run();
  return fut.get();
}
