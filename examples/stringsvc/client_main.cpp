// stringsvc-client — calls a running stringsvc over HTTP/JSON or gRPC through svckit client endpoints.
//   stringsvc-client --transport grpc --addr 127.0.0.1:8081 uppercase hello
//   stringsvc-client --registry etcd://127.0.0.1:2379 uppercase hello     # discover, balance, retry (gRPC)
#include <iostream>

#include <CLI/CLI.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/use_future.hpp>

#include "svckit/sd/registry.hpp"
#include "svckit/sd/retry.hpp"
#include "transport.hpp"

int main(int argc, char** argv) {
  std::string transport = "http";
  std::string addr;
  std::string registry;
  std::string balancer = "p2c";
  std::string op;
  std::string text;
  int timeout_ms = 2000;
  CLI::App app{"stringsvc-client: calls stringsvc's uppercase or count"};
  app.add_option("--transport", transport, "http|grpc")->check(CLI::IsMember({"http", "grpc"}))->capture_default_str();
  auto* addr_opt = app.add_option("--addr", addr, "server address host:port");
  app.add_option("--registry", registry, "discover stringsvc instances here instead, e.g. etcd://127.0.0.1:2379")
      ->excludes(addr_opt);
  app.add_option("--balancer", balancer, "with --registry: round_robin|random|p2c|weighted|consistent_hash")
      ->capture_default_str();
  app.add_option("--timeout-ms", timeout_ms, "deadline for the call")->capture_default_str();
  app.add_option("op", op, "uppercase|count")->required()->check(CLI::IsMember({"uppercase", "count"}));
  app.add_option("text", text, "the string")->required();
  CLI11_PARSE(app, argc, argv);

  if (addr.empty() && registry.empty()) {
    std::cerr << "error: give --addr or --registry\n";
    return 2;
  }

  boost::asio::io_context io;  // declared first: the client's pooled connections must not outlive it
  stringsvc::Endpoints e;
  std::shared_ptr<svckit::sd::Registry> reg;
  std::shared_ptr<svckit::sd::Endpointer<stringsvc::UppercaseRequest, stringsvc::UppercaseReply>> upper;
  std::shared_ptr<svckit::sd::Endpointer<stringsvc::CountRequest, stringsvc::CountReply>> count;
  if (!registry.empty()) {
    // Every registered stringsvc instance, one gRPC channel each, balanced, retried elsewhere on failure.
    try {
      reg = svckit::sd::Registry::open(registry);
      auto instancer = reg->instancer("stringsvc");
      auto lb = svckit::sd::make_balancer(balancer);
      upper = svckit::sd::Endpointer<stringsvc::UppercaseRequest, stringsvc::UppercaseReply>::create(
          instancer, [](const svckit::sd::Instance& i) { return svckit::Result(stringsvc::make_grpc_client(i.address).uppercase); },
          lb, io.get_executor(), {.service = "stringsvc"});
      count = svckit::sd::Endpointer<stringsvc::CountRequest, stringsvc::CountReply>::create(
          instancer, [](const svckit::sd::Instance& i) { return svckit::Result(stringsvc::make_grpc_client(i.address).count); },
          lb, io.get_executor(), {.service = "stringsvc"});
    } catch (const std::invalid_argument& ex) {
      std::cerr << "error: " << ex.what() << "\n";
      return 2;
    }
    e.uppercase = svckit::sd::balanced(upper);
    e.count = svckit::sd::balanced(count);
  } else {
    e = transport == "http" ? stringsvc::make_http_client(addr) : stringsvc::make_grpc_client(addr);
  }
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
  // Run until the call finishes (the endpointers' subscriptions would keep run() going).
  while (fut.wait_for(std::chrono::seconds(0)) != std::future_status::ready) io.run_one();
  return fut.get();
}
