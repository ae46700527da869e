// protoc-gen-svckit's output, used the way a service author uses it: the generated interface implemented by
// hand, served over real HTTP and gRPC servers on loopback, and called through the generated registry
// client over a real etcd. (The generated suite, greeter.svckit_test.cc, runs as its own test binary.)
#include <gtest/gtest.h>

#include <memory>

#include "greeter_service.hpp"
#include "protoc-gen-svckit/names.hpp"
#include "support/etcd.hpp"
#include "support/run.hpp"
#include "support/tcp_connections.hpp"
#include "svckit/io_pool.hpp"
#include "svckit/sd/registry.hpp"
#include "svckit/transport/grpc/server.hpp"
#include "svckit/transport/http/client.hpp"
#include "svckit/transport/http/router.hpp"
#include "svckit/transport/http/server.hpp"

namespace {

using namespace std::chrono_literals;
using svckit::Context;
using svckit::Result;
using svckit::test::run_on;
using svckit::test::wait_until;

Context with_timeout() {
  Context ctx;
  ctx.set_timeout(5s);
  return ctx;
}

/// One in-process instance: a GreeterService behind the generated bindings on both transports.
struct Instance {
  Instance(svckit::IoPool& io, std::string name) : svc(std::make_shared<greeter::GreeterService>(std::move(name))) {
    auto endpoints = greeter::make_endpoints(svc);
    svckit::http::Router router;
    greeter::add_http_routes(router, endpoints);
    http = std::make_shared<svckit::http::Server>(io, svckit::http::ServerOptions{.address = "127.0.0.1:0"}, std::move(router));
    grpc = std::make_shared<svckit::grpc::Server>(io, svckit::grpc::ServerOptions{.address = "127.0.0.1:0"});
    greeter::add_grpc_methods(*grpc, endpoints);
    http->start();
    grpc->start();
  }
  ~Instance() {
    http->shutdown(std::chrono::steady_clock::now() + 2s);
    grpc->shutdown(std::chrono::steady_clock::now() + 2s);
  }
  std::string grpc_address() const { return "127.0.0.1:" + std::to_string(grpc->port()); }
  std::string http_address() const { return "127.0.0.1:" + std::to_string(http->port()); }

  std::shared_ptr<greeter::GreeterService> svc;
  std::shared_ptr<svckit::http::Server> http;
  std::shared_ptr<svckit::grpc::Server> grpc;
};

class GeneratedBindings : public ::testing::Test {
 public:
  /// One Countdown stream on an io thread: its status and its replies.
  std::pair<svckit::Status, std::vector<std::string>> countdown(const svckit::StreamEndpoint<greeter::HelloRequest, greeter::HelloReply>& ep,
                                                                const std::string& from) {
    auto replies = std::make_shared<std::vector<std::string>>();
    auto status = run_on(io.next().get_executor(), [ep, from, replies]() -> boost::asio::awaitable<svckit::Status> {
      auto collect = svckit::stream_to<greeter::HelloReply>([replies](const greeter::HelloReply& r) -> boost::asio::awaitable<bool> {
        replies->push_back(r.message());
        co_return true;
      });
      greeter::HelloRequest req;
      req.set_name(from);
      co_return co_await ep(with_timeout(), req, collect);
    }());
    return {status, *replies};
  }

 protected:
  void SetUp() override { io.start(); }
  void TearDown() override {
    io.stop();
    io.join();
  }
  svckit::IoPool io{2};
};

TEST_F(GeneratedBindings, HttpRoutesAreKebabCaseMethodNamesWithProtoJsonBodies) {
  Instance a(io, "a");
  auto client = std::make_shared<svckit::http::Client>("127.0.0.1", a.http->port());
  auto post = [&](std::string target, std::string body) {
    return run_on(io.next().get_executor(), [&]() -> boost::asio::awaitable<Result<svckit::http::Response>> {
      co_return co_await client->request(with_timeout(), svckit::http::Verb::post, target, body);
    }());
  };
  auto hello = post("/say-hello", R"({"name":"ann"})");
  ASSERT_TRUE(hello.ok());
  EXPECT_EQ(hello->result_int(), 200u);
  EXPECT_EQ(hello->body(), R"({"message":"hello ann from a"})");

  auto deleted = post("/delete", R"({"id":"7"})");
  ASSERT_TRUE(deleted.ok());
  EXPECT_EQ(deleted->body(), R"({"deleted":true})");

  // Bad input: an unknown field, malformed JSON, the service's own validation.
  auto unknown = post("/say-hello", R"({"nam":"ann"})");
  ASSERT_TRUE(unknown.ok());
  EXPECT_EQ(unknown->result_int(), 400u);
  EXPECT_NE(unknown->body().find("nam"), std::string::npos) << unknown->body();
  EXPECT_EQ(post("/say-hello", R"({"name":)")->result_int(), 400u);
  EXPECT_EQ(post("/say-hello", R"({"name":""})")->result_int(), 400u);
  // The rpc the service did not implement is there, and says so.
  EXPECT_EQ(post("/later", "{}")->result_int(), 501u);
  client.reset();
}

TEST_F(GeneratedBindings, GrpcClientReachesEveryMethodAndUnimplementedIsReported) {
  Instance a(io, "a");
  auto client = greeter::make_grpc_client(a.grpc_address());
  greeter::HelloRequest hello;
  hello.set_name("bo");
  auto r = run_on(io.next().get_executor(), client.say_hello(with_timeout(), hello));
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->message(), "hello bo from a");

  auto later = run_on(io.next().get_executor(), client.later(with_timeout(), hello));
  ASSERT_FALSE(later.ok());
  EXPECT_EQ(later.status().code(), svckit::StatusCode::Unimplemented);
  EXPECT_EQ(later.status().message(), "Later is not implemented");
}

// User middleware passed to make_endpoints wraps every method; ServiceMiddleware decorates one method and
// forwards the rest.
TEST_F(GeneratedBindings, EndpointAndServiceMiddlewareHooks) {
  struct Shout : greeter::ServiceMiddleware {
    using ServiceMiddleware::ServiceMiddleware;
    boost::asio::awaitable<Result<greeter::HelloReply>> say_hello(const Context& ctx,
                                                                  const greeter::HelloRequest& request) override {
      auto r = co_await next().say_hello(ctx, request);
      if (r.ok()) r->set_message(r->message() + "!");
      co_return r;
    }
  };
  auto inner = std::make_shared<greeter::GreeterService>("m");
  auto counted = std::make_shared<std::atomic<int>>(0);
  // Generic over both kinds of endpoint: (ctx, req) and a stream's (ctx, req, out).
  auto count_calls = [counted](auto next) {
    return [counted, next](const Context& ctx, auto&&... args) {
      ++*counted;
      return next(ctx, std::forward<decltype(args)>(args)...);
    };
  };
  auto e = greeter::make_endpoints(std::make_shared<Shout>(inner), count_calls);
  greeter::HelloRequest hello;
  hello.set_name("cy");
  auto r = run_on(io.next().get_executor(), e.say_hello(with_timeout(), hello));
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->message(), "hello cy from m!");
  greeter::DeleteRequest del;
  del.set_id("1");
  auto d = run_on(io.next().get_executor(), e.delete_(with_timeout(), del));
  ASSERT_TRUE(d.ok());
  EXPECT_TRUE(d->deleted());
  auto [status, replies] = countdown(e.countdown, "2");
  EXPECT_TRUE(status.ok()) << status;
  EXPECT_EQ(replies, (std::vector<std::string>{"2 from m", "1 from m"}));
  EXPECT_EQ(*counted, 3) << "the stream went through the middleware too";
  EXPECT_EQ(inner->calls(), 1);
}

// The server-streaming rpc over each generated client: gRPC, the own wire, and HTTP (which has none).
TEST_F(GeneratedBindings, AStreamingMethodStreamsOverGrpcAndTheOwnWireButNotHttp) {
  Instance a(io, "a");
  for (auto client : {greeter::make_grpc_client(a.grpc_address()), greeter::make_grpc_wire_client(a.grpc_address())}) {
    auto [status, replies] = countdown(client.countdown, "3");
    ASSERT_TRUE(status.ok()) << status;
    EXPECT_EQ(replies, (std::vector<std::string>{"3 from a", "2 from a", "1 from a"}));
    std::tie(status, replies) = countdown(client.countdown, "-1");
    EXPECT_EQ(status.code(), svckit::StatusCode::InvalidArgument) << status;
    EXPECT_TRUE(replies.empty());
  }
  auto [status, replies] = countdown(greeter::make_http_client(a.http_address()).countdown, "3");
  EXPECT_EQ(status.code(), svckit::StatusCode::Unimplemented) << status;
  // An unimplemented streaming rpc is reported as such (the service's default).
  auto defaults = greeter::make_endpoints(std::make_shared<greeter::Service>());
  std::tie(status, replies) = countdown(defaults.countdown, "3");
  EXPECT_EQ(status.code(), svckit::StatusCode::Unimplemented);
  EXPECT_EQ(status.message(), "Countdown is not implemented");
}

// The generated Client: resolves "greeter" in a real etcd, balances over the instances, retries elsewhere.
TEST_F(GeneratedBindings, RegistryClientBalancesOverInstancesFoundInEtcd) {
  svckit::test::EtcdCluster etcd{1};
  auto registry = svckit::sd::Registry::open("etcd://" + etcd.endpoints()[0]);
  Instance a(io, "a"), b(io, "b");
  auto reg_a = registry->registrar(greeter::kServiceName, {.address = a.grpc_address()}, 10s);
  auto reg_b = registry->registrar(greeter::kServiceName, {.address = b.grpc_address()}, 10s);
  reg_a->register_instance();
  reg_b->register_instance();
  ASSERT_TRUE(wait_until([&] { return reg_a->registered() && reg_b->registered(); }));

  greeter::Client client(registry, io.next().get_executor(), {.balancer = "round_robin"});
  greeter::HelloRequest hello;
  hello.set_name("di");
  for (int i = 0; i < 20; ++i) {
    auto r = run_on(io.next().get_executor(), client.say_hello(with_timeout(), hello));
    ASSERT_TRUE(r.ok()) << r.status();
  }
  EXPECT_EQ(a.svc->calls() + b.svc->calls(), 20);
  EXPECT_GE(a.svc->calls(), 5) << "round robin over both instances";
  EXPECT_GE(b.svc->calls(), 5);

  // One instance leaves the registry: every call still succeeds, on the other one.
  ASSERT_TRUE(reg_a->deregister(2s).ok());
  // The client has applied the deletion once two calls in a row land on b (round robin over both
  // instances alternates; one call on b proved nothing).
  ASSERT_TRUE(wait_until([&] {
    int before = b.svc->calls();
    for (int i = 0; i < 2; ++i)
      if (!run_on(io.next().get_executor(), client.say_hello(with_timeout(), hello)).ok()) return false;
    return b.svc->calls() == before + 2;
  }));
  int a_calls = a.svc->calls();
  for (int i = 0; i < 5; ++i) ASSERT_TRUE(run_on(io.next().get_executor(), client.say_hello(with_timeout(), hello)).ok());
  EXPECT_EQ(a.svc->calls(), a_calls);
  auto [status, replies] = countdown(client.endpoints().countdown, "2");  // a stream, balanced the same way
  ASSERT_TRUE(status.ok()) << status;
  EXPECT_EQ(replies, (std::vector<std::string>{"2 from b", "1 from b"}));
  EXPECT_TRUE(reg_b->deregister(2s).ok());
}

// The generated Client holds one connection per instance, shared by every method: calling all three
// methods of greeter on two instances opens two connections, not six.
TEST_F(GeneratedBindings, RegistryClientHoldsOneConnectionPerInstanceWhateverTheNumberOfMethods) {
  Instance a(io, "a"), b(io, "b");
  auto registry = svckit::sd::Registry::open("static://" + a.grpc_address() + "," + b.grpc_address());
  greeter::Client client(registry, io.next().get_executor(), {.balancer = "round_robin"});
  greeter::HelloRequest hello;
  hello.set_name("fay");
  greeter::DeleteRequest del;
  del.set_id("1");
  for (int i = 0; i < 6; ++i) {
    ASSERT_TRUE(run_on(io.next().get_executor(), client.say_hello(with_timeout(), hello)).ok());
    ASSERT_TRUE(run_on(io.next().get_executor(), client.delete_(with_timeout(), del)).ok());
    ASSERT_FALSE(run_on(io.next().get_executor(), client.later(with_timeout(), hello)).ok());  // UNIMPLEMENTED, still a call
  }
  EXPECT_GE(a.svc->calls(), 2);
  EXPECT_GE(b.svc->calls(), 2);
  EXPECT_EQ(svckit::test::established_connections_to(a.grpc->port()), 1);
  EXPECT_EQ(svckit::test::established_connections_to(b.grpc->port()), 1);
}

TEST(GeneratorNames, SnakeKebabAndKeywords) {
  using namespace svckit::gen;
  EXPECT_EQ(snake_case("SendEmail"), "send_email");
  EXPECT_EQ(snake_case("GetHTTPStatus"), "get_http_status");
  EXPECT_EQ(snake_case("V2Api"), "v2_api");
  EXPECT_EQ(kebab_case("SendEmail"), "send-email");
  EXPECT_EQ(kebab_case("already_snake"), "already-snake");
  EXPECT_EQ(identifier("delete"), "delete_");
  EXPECT_EQ(identifier("co_await"), "co_await_");
  EXPECT_EQ(identifier("send_email"), "send_email");
  EXPECT_EQ(cpp_namespace("a.b.c"), "a::b::c");
}

}  // namespace
