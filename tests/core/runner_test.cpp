// The runner: serves until shutdown, then drains in-flight requests and runs shutdown hooks first.
#include "svckit/runner.hpp"

#include <gtest/gtest.h>

#include <CLI/CLI.hpp>
#include <thread>

#include "support/http_fixture.hpp"
#include "support/run.hpp"
#include "svckit/transport/http/client.hpp"

using namespace svckit;
using namespace svckit::test;
using namespace std::chrono_literals;

TEST(Runner, FlagsHaveDefaultsAndHelp) {
  RunnerOptions o;
  CLI::App app{"t"};
  add_runner_flags(app, o);
  const char* argv[] = {"t", "--http-addr", "0.0.0.0:9000", "--shutdown-timeout-ms", "250", "--log-format", "json"};
  app.parse(7, const_cast<char**>(argv));
  EXPECT_EQ(o.http_addr, "0.0.0.0:9000");
  EXPECT_EQ(o.grpc_addr, "127.0.0.1:8081");
  EXPECT_EQ(o.shutdown_timeout, 250ms);
  EXPECT_EQ(o.log_format, "json");
  auto help = app.help();
  for (auto flag : {"--http-addr", "--grpc-addr", "--debug-addr", "--log-level", "--shutdown-timeout-ms"})
    EXPECT_NE(help.find(flag), std::string::npos) << flag;
  CLI::App bad{"t"};
  RunnerOptions o2;
  add_runner_flags(bad, o2);
  const char* argv2[] = {"t", "--log-level", "loud"};
  EXPECT_THROW(bad.parse(3, const_cast<char**>(argv2)), CLI::ValidationError);
}

TEST(Runner, TracingFlagsAreValidated) {
  for (auto [flag, value] : {std::pair{"--zipkin-url", "https://zipkin:9411"}, std::pair{"--zipkin-url", "zipkin:9411"},
                             std::pair{"--trace-sample-rate", "1.5"}, std::pair{"--trace-sample-rate", "-0.1"}}) {
    CLI::App app{"t"};
    RunnerOptions o;
    add_runner_flags(app, o);
    const char* argv[] = {"t", flag, value};
    EXPECT_THROW(app.parse(3, const_cast<char**>(argv)), CLI::ValidationError) << flag << " " << value;
  }
  CLI::App app{"t"};
  RunnerOptions o;
  add_runner_flags(app, o);
  const char* argv[] = {"t", "--zipkin-url", "http://127.0.0.1:9411/api/v2/spans", "--trace-sample-rate", "0.25"};
  app.parse(5, const_cast<char**>(argv));
  EXPECT_EQ(o.trace_exporter, "zipkin");
  EXPECT_EQ(o.trace_url, "http://127.0.0.1:9411/api/v2/spans");
  EXPECT_EQ(o.trace_sample_rate, 0.25);
}

// Exporters are chosen by name among the registered ones; each checks its own URL when flags are parsed.
TEST(Runner, TraceExporterIsChosenByNameAndItsUrlChecked) {
  auto parse = [](std::vector<const char*> args, RunnerOptions& o) {
    CLI::App app{"t"};
    add_runner_flags(app, o);
    args.insert(args.begin(), "t");
    app.parse(static_cast<int>(args.size()), const_cast<char**>(args.data()));
  };
  RunnerOptions o;
  try {
    parse({"--trace-exporter", "nosuch", "--trace-url", "http://127.0.0.1:9411"}, o);
    ADD_FAILURE() << "an unknown exporter was accepted";
  } catch (const CLI::ValidationError& e) {
    EXPECT_NE(std::string(e.what()).find("known: zipkin"), std::string::npos) << e.what();
  }
  RunnerOptions o2;
  EXPECT_THROW(parse({"--trace-exporter", "zipkin", "--trace-url", "https://zipkin:9411"}, o2), CLI::ValidationError);
  RunnerOptions o3;
  parse({"--trace-exporter", "zipkin", "--trace-url", "http://127.0.0.1:9411"}, o3);
  EXPECT_EQ(o3.trace_url, "http://127.0.0.1:9411");
}

TEST(Runner, ShutdownRunsHooksFirstThenDrains) {
  RunnerOptions opts;
  opts.threads = 2;
  Runner runner(opts);
  std::atomic<bool> hook_ran{false};
  std::atomic<bool> hook_ran_before_finish{false};
  std::atomic<int> started{0};
  http::Router router;
  router.add(http::Verb::post, "/sleep",
             http::serve<Sleep, Sleep>([&](const Context&, const Sleep& s) -> boost::asio::awaitable<Result<Sleep>> {
               ++started;
               boost::asio::steady_timer t(co_await boost::asio::this_coro::executor, std::chrono::milliseconds(s.ms));
               co_await t.async_wait(boost::asio::use_awaitable);
               hook_ran_before_finish = hook_ran.load();
               co_return s;
             }));
  auto server = std::make_shared<http::Server>(runner.io(), http::ServerOptions{.address = "127.0.0.1:0"}, std::move(router));
  runner.add(server);
  runner.on_shutdown([&] { hook_ran = true; });

  int rc = -1;
  std::thread t([&] { rc = runner.run(); });
  ASSERT_TRUE(wait_until([&] { return server->port() != 0; }));

  boost::asio::io_context cio;
  http::Client client("127.0.0.1", server->port());
  auto fut = boost::asio::co_spawn(
      cio, [&]() -> boost::asio::awaitable<Result<http::Response>> {
        Context ctx;
        co_return co_await client.request(ctx, http::Verb::post, "/sleep", R"({"ms":300})");
      },
      boost::asio::use_future);
  std::thread ct([&] { cio.run(); });
  ASSERT_TRUE(wait_until([&] { return started.load() == 1; }));
  runner.shutdown();
  ct.join();
  t.join();
  auto res = fut.get();
  ASSERT_TRUE(res.ok()) << res.status();
  EXPECT_EQ(res->result_int(), 200u);  // the in-flight request finished
  EXPECT_TRUE(hook_ran_before_finish);  // deregistration hooks run before the drain, not after
  EXPECT_EQ(rc, 0);
}

TEST(Runner, FailsCleanlyWhenAddressIsTaken) {
  RunnerOptions opts;
  opts.threads = 1;
  Runner runner(opts);
  // Another socket (without SO_REUSEPORT) holds the port.
  boost::asio::io_context ioc;
  boost::asio::ip::tcp::acceptor holder(ioc, {boost::asio::ip::make_address("127.0.0.1"), 0});
  auto port = holder.local_endpoint().port();
  runner.add(std::make_shared<http::Server>(runner.io(), http::ServerOptions{.address = "127.0.0.1:" + std::to_string(port)},
                                            http::Router{}));
  EXPECT_EQ(runner.run(), 1);
}
