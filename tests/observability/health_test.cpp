// Readiness: /readyz on the debug listener and grpc.health.v1 on the gRPC server (gRPC's own implementation,
// called here with its generated sync client), through start, failing checks, registration and drain.
#include <future>
#include <thread>

#include <boost/asio/ip/tcp.hpp>
#include <grpcpp/create_channel.h>
#include <gtest/gtest.h>

#include "generator/greeter_service.hpp"
#include "health.grpc.pb.h"
#include "support/http_request.hpp"
#include "support/run.hpp"
#include "svckit/debug.hpp"
#include "svckit/sd/announce.hpp"
#include "svckit/transport/grpc/client.hpp"
#include "svckit/transport/grpc/server.hpp"
#include "svckit/transport/http/client.hpp"

namespace {

using grpc::health::v1::Health;
using grpc::health::v1::HealthCheckRequest;
using grpc::health::v1::HealthCheckResponse;
using svckit::test::wait_until;

// A greeter process in a thread: gRPC server, debug listener, and the runner that owns them.
class Service {
 public:
  explicit Service(std::chrono::milliseconds drain_delay = std::chrono::milliseconds(0), std::string registry = {},
                   int max_watch_streams = 1000) {
    svckit::RunnerOptions opts;
    opts.grpc_addr = "127.0.0.1:0";
    opts.debug_addr = "127.0.0.1:0";
    opts.drain_delay = drain_delay;
    opts.registry = std::move(registry);
    opts.log_level = "warn";
    opts.shutdown_timeout = std::chrono::milliseconds(1000);  // also bounds deregistering from a dead registry
    runner_ = std::make_unique<svckit::Runner>(opts);
    grpc_ = std::make_shared<svckit::grpc::Server>(runner_->io(), svckit::grpc::ServerOptions{.address = opts.grpc_addr,
                                                                                        .max_watch_streams = max_watch_streams});
    greeter::add_grpc_methods(*grpc_, greeter::make_endpoints(greeter::make_service()));
    runner_->add(grpc_);
    debug_ = svckit::serve_debug(*runner_);
  }
  ~Service() { stop(); }

  svckit::Runner& runner() { return *runner_; }
  void start() {
    std::promise<void> listening;
    runner_->on_started([&] { listening.set_value(); });
    thread_ = std::thread([this] { (void)runner_->run(); });
    listening.get_future().wait();
    channel_ = grpc::CreateChannel("127.0.0.1:" + std::to_string(grpc_->port()), grpc::InsecureChannelCredentials());
  }
  void stop() {
    if (!thread_.joinable()) return;
    runner_->shutdown();
    thread_.join();
  }

  // grpc.health.v1 Check: the status, or -1 with the gRPC code in *code when the call fails.
  int check(const std::string& service, grpc::StatusCode* code = nullptr) {
    grpc::ClientContext ctx;
    ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(2));
    HealthCheckRequest req;
    req.set_service(service);
    HealthCheckResponse resp;
    auto st = Health::NewStub(channel_)->Check(&ctx, req, &resp);
    if (code) *code = st.error_code();
    return st.ok() ? resp.status() : -1;
  }
  // GET /readyz: {status code, body}.
  std::pair<unsigned, std::string> readyz() {
    auto r = svckit::test::http_request(debug_->port(), svckit::http::Verb::get, "/readyz");
    if (!r.ok()) return {0, r.status().message()};
    return {r->result_int(), r->body()};
  }
  std::shared_ptr<grpc::Channel> channel() { return channel_; }
  std::uint16_t grpc_port() const { return grpc_->port(); }

 private:
  std::unique_ptr<svckit::Runner> runner_;
  std::shared_ptr<svckit::grpc::Server> grpc_;
  std::shared_ptr<svckit::http::Server> debug_;
  std::shared_ptr<grpc::Channel> channel_;
  std::thread thread_;
};

TEST(Health, ServingOnceStartedPerServiceAndUnknownServiceIsNotFound) {
  Service s;
  s.start();
  ASSERT_TRUE(wait_until([&] { return s.check("") == HealthCheckResponse::SERVING; }));
  EXPECT_EQ(s.check("greeter.Greeter"), HealthCheckResponse::SERVING);
  grpc::StatusCode code{};
  EXPECT_EQ(s.check("no.such.Service", &code), -1);
  EXPECT_EQ(code, grpc::StatusCode::NOT_FOUND);
  auto [status, body] = s.readyz();
  EXPECT_EQ(status, 200u);
  EXPECT_EQ(body, R"({"status":"ready"})");
}

TEST(Health, AFailingCheckMakesTheServiceNotReadyUntilItPasses) {
  Service s;
  std::atomic<bool> storage_open{false};
  s.runner().health().add_check("storage", [&] { return storage_open.load(); });
  s.start();
  auto [status, body] = s.readyz();
  EXPECT_EQ(status, 503u);
  EXPECT_EQ(body, R"({"status":"not ready","failing":["storage"]})");
  EXPECT_EQ(s.check(""), HealthCheckResponse::NOT_SERVING);

  storage_open = true;
  EXPECT_TRUE(wait_until([&] { return s.check("") == HealthCheckResponse::SERVING; }));
  EXPECT_EQ(s.readyz().first, 200u);
}

TEST(Health, NotReadyWhileTheRegistryCannotBeReached) {
  // A port bound but not listening: registration can never succeed.
  boost::asio::io_context io;
  boost::asio::ip::tcp::socket held(io);
  held.open(boost::asio::ip::tcp::v4());
  held.bind({boost::asio::ip::make_address("127.0.0.1"), 0});
  Service s(std::chrono::milliseconds(0), "etcd://127.0.0.1:" + std::to_string(held.local_endpoint().port()));
  svckit::sd::announce(s.runner(), "greeter", [] { return std::string("127.0.0.1:1"); });
  s.start();
  auto [status, body] = s.readyz();
  EXPECT_EQ(status, 503u);
  EXPECT_NE(body.find(R"("failing":["registered"])"), std::string::npos) << body;
  EXPECT_EQ(s.check(""), HealthCheckResponse::NOT_SERVING);
}

TEST(Health, DrainReportsNotServingWhileStillListening) {
  Service s(std::chrono::milliseconds(3000));  // the drain delay keeps the listeners open after SIGTERM
  s.start();
  ASSERT_TRUE(wait_until([&] { return s.check("") == HealthCheckResponse::SERVING; }));

  // A Watch stream sees every change as it happens.
  grpc::ClientContext watch_ctx;
  HealthCheckRequest req;
  auto watch = Health::NewStub(s.channel())->Watch(&watch_ctx, req);
  HealthCheckResponse first;
  ASSERT_TRUE(watch->Read(&first));
  EXPECT_EQ(first.status(), HealthCheckResponse::SERVING);

  std::thread stopper([&] { s.stop(); });
  HealthCheckResponse next;
  ASSERT_TRUE(watch->Read(&next));
  EXPECT_EQ(next.status(), HealthCheckResponse::NOT_SERVING);
  // The listeners are still open: new calls are answered, and they say NOT_SERVING.
  EXPECT_EQ(s.check(""), HealthCheckResponse::NOT_SERVING);
  auto [status, body] = s.readyz();
  EXPECT_EQ(status, 503u);
  EXPECT_EQ(body, R"({"status":"not ready","failing":["draining"]})");
  // When the listeners close, the server ends the stream cleanly (it does not hold up the drain).
  EXPECT_FALSE(watch->Read(&next));
  EXPECT_TRUE(watch->Finish().ok());
  stopper.join();
}

TEST(Health, WatchOfAnUnknownServiceSaysSoAndACancelledWatchIsReleased) {
  Service s;
  s.start();
  grpc::ClientContext ctx;
  HealthCheckRequest req;
  req.set_service("no.such.Service");
  auto watch = Health::NewStub(s.channel())->Watch(&ctx, req);
  HealthCheckResponse r;
  ASSERT_TRUE(watch->Read(&r));
  EXPECT_EQ(r.status(), HealthCheckResponse::SERVICE_UNKNOWN);
  ctx.TryCancel();  // the client goes away; the server must let go of the stream (ASan checks for leaks)
  EXPECT_FALSE(watch->Read(&r));
  s.stop();
}

// Issue 18: every Watch stream holds server memory until its client leaves, so they are counted: past
// max_watch_streams one more is refused with RESOURCE_EXHAUSTED, and a stream that ends frees its place.
TEST(Health, WatchStreamsBeyondTheLimitAreRefusedAndEndedOnesFreeTheirPlace) {
  Service s(std::chrono::milliseconds(0), {}, 2);
  s.start();
  HealthCheckRequest req;
  std::vector<std::unique_ptr<grpc::ClientContext>> ctxs;
  std::vector<std::unique_ptr<grpc::ClientReader<HealthCheckResponse>>> open;
  for (int i = 0; i < 2; ++i) {
    ctxs.push_back(std::make_unique<grpc::ClientContext>());
    open.push_back(Health::NewStub(s.channel())->Watch(ctxs.back().get(), req));
    HealthCheckResponse first;
    ASSERT_TRUE(open.back()->Read(&first)) << i;
  }
  auto refused = [&] {
    grpc::ClientContext ctx;
    ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(5));
    auto watch = Health::NewStub(s.channel())->Watch(&ctx, req);
    HealthCheckResponse r;
    if (watch->Read(&r)) {
      ctx.TryCancel();
      watch->Finish();
      return false;
    }
    return watch->Finish().error_code() == grpc::StatusCode::RESOURCE_EXHAUSTED;
  };
  EXPECT_TRUE(refused());
  EXPECT_TRUE(wait_until([&] { return s.check("") == HealthCheckResponse::SERVING; })) << "Check is still answered";
  ctxs[0]->TryCancel();  // one client leaves
  HealthCheckResponse r;
  while (open[0]->Read(&r)) {
  }
  open[0]->Finish();
  EXPECT_TRUE(wait_until([&] { return !refused(); })) << "the ended stream's place was not freed";
  ctxs[1]->TryCancel();
  while (open[1]->Read(&r)) {
  }
  open[1]->Finish();
  s.stop();
}

TEST(Health, CheckRefusesBytesThatAreNotAHealthCheckRequest) {
  Service s;
  s.start();
  svckit::grpc::ClientOptions opts;
  const char junk[] = {0x0a, 0x7f, 'x'};  // field 1 claims 127 bytes, 1 follows
  grpc::Slice slice(junk, sizeof junk);
  // Named: the coroutine keeps references to its arguments.
  const auto channel = svckit::grpc::make_channel("127.0.0.1:" + std::to_string(s.grpc_port()));
  const std::string method = "/grpc.health.v1.Health/Check";
  const svckit::Context ctx;
  auto r = svckit::test::run_sync(svckit::grpc::unary_call(channel, method, ctx, grpc::ByteBuffer(&slice, 1), opts));
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), svckit::StatusCode::InvalidArgument);
}

}  // namespace
