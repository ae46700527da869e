// The HTTP client against the real server: JSON endpoints, pooling, deadlines, errors.
#include "svckit/transport/http/client.hpp"

#include <gtest/gtest.h>

#include "support/http_fixture.hpp"
#include "support/run.hpp"

using namespace svckit;
using namespace svckit::test;
using namespace std::chrono_literals;

class HttpClient : public HttpFixture {
 protected:
  std::shared_ptr<http::Client> client() { return std::make_shared<http::Client>("127.0.0.1", server->port()); }
  template <class T>
  T run(boost::asio::awaitable<T> aw) {
    return run_on(io.context(0).get_executor(), std::move(aw));
  }
};

TEST_F(HttpClient, CallsJsonEndpointAndPropagatesRequestIdAndDeadline) {
  auto c = client();
  auto echo = http::json_client<Greeting, Echo>(c, http::Verb::post, "/echo");
  Context ctx;
  ctx.set_request_id("rid-42");
  ctx.set_timeout(2s);
  auto r = run(echo(ctx, Greeting{"ada"}));
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->name, "ada");
  EXPECT_EQ(r->request_id, "rid-42");
  EXPECT_GT(r->timeout_ms, 0);
  EXPECT_LE(r->timeout_ms, 2000);
}

TEST_F(HttpClient, ReusesOneConnection) {
  auto c = client();
  auto echo = http::json_client<Greeting, Echo>(c, http::Verb::post, "/echo");
  for (int i = 0; i < 25; ++i) {
    Context ctx;
    auto r = run(echo(ctx, Greeting{"x"}));
    ASSERT_TRUE(r.ok()) << r.status();
  }
  EXPECT_EQ(c->connections_opened(), 1u);
}

// Large responses make the connection's read buffer grow (fewer, larger reads); every body still arrives
// whole, and the connection keeps serving small ones.
TEST_F(HttpClient, LargeResponsesOnOneConnectionArriveWhole) {
  auto c = client();
  for (std::size_t mib : {1, 2, 1}) {
    Context ctx;
    auto r = run(c->request(ctx, http::Verb::get, "/big/" + std::to_string(mib), ""));
    ASSERT_TRUE(r.ok()) << r.status();
    EXPECT_EQ(r->body().size(), mib << 20);
    EXPECT_EQ(r->body().find_first_not_of('x'), std::string::npos);
  }
  Context ctx;
  auto small = run(http::json_client<Greeting, Echo>(c, http::Verb::post, "/echo")(ctx, Greeting{"after"}));
  ASSERT_TRUE(small.ok()) << small.status();
  EXPECT_EQ(small->name, "after");
  EXPECT_EQ(c->connections_opened(), 1u);
}

TEST_F(HttpClient, ServerErrorsBecomeStatuses) {
  auto c = client();
  auto greet = http::json_client<Greeting, Greeting>(
      c, http::Verb::get, "", {.target = [](const Greeting& g) { return "/greetings/" + g.name; }});
  Context ctx;
  auto ok = run(greet(ctx, Greeting{"bob"}));
  ASSERT_TRUE(ok.ok()) << ok.status();
  EXPECT_EQ(ok->name, "hello bob");
  auto nf = run(greet(ctx, Greeting{"nobody"}));
  EXPECT_EQ(nf.status(), not_found("no greeting for nobody"));
  auto bad = run(c->request(ctx, http::Verb::post, "/echo", R"({"nmae":"x"})"));
  ASSERT_TRUE(bad.ok());
  EXPECT_EQ(http::status_of(*bad).code(), StatusCode::InvalidArgument);
}

TEST_F(HttpClient, DeadlineExceeded) {
  auto c = client();
  auto sleep = http::json_client<Sleep, Sleep>(c, http::Verb::post, "/sleep");
  Context ctx;
  ctx.set_timeout(1s);  // time for the call to reach the handler on a slow build (TSan); it sleeps 5 s
  auto r = run(sleep(ctx, Sleep{5000}));
  EXPECT_EQ(r.status().code(), StatusCode::DeadlineExceeded) << r.status();
  // The server got the deadline too and cancelled its work.
  EXPECT_TRUE(wait_until([&] { return sleepers_cancelled.load() == 1; }));
}

TEST_F(HttpClient, ConnectionRefusedIsUnavailable) {
  auto port = server->port();
  stop();
  http::Client c("127.0.0.1", port);
  boost::asio::io_context ioc;
  Context ctx;
  ctx.set_timeout(2s);
  auto r = run_sync(c.request(ctx, http::Verb::get, "/x"));
  EXPECT_EQ(r.status().code(), StatusCode::Unavailable) << r.status();
}

TEST_F(HttpClient, RecoversWhenServerClosedAnIdleConnection) {
  stop();
  start({.read_timeout = std::chrono::milliseconds(100)});  // the server drops idle connections quickly
  auto c = client();
  auto echo = http::json_client<Greeting, Echo>(c, http::Verb::post, "/echo");
  Context ctx;
  ASSERT_TRUE(run(echo(ctx, Greeting{"a"})).ok());
  // Once the server has closed the pooled connection, call again.
  ASSERT_TRUE(wait_until([&] { return server->connections() == 0; }));
  auto r = run(echo(ctx, Greeting{"b"}));
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(c->connections_opened(), 2u);
}
