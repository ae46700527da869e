// The HTTP server against real sockets: routing, JSON errors, limits, misbehaving clients, keep-alive,
// pipelining and graceful shutdown.
#include <gtest/gtest.h>

#include <sys/socket.h>

#include <string>
#include <thread>
#include <vector>

#include <boost/json/parse.hpp>

#include "support/http_fixture.hpp"
#include "support/run.hpp"

using namespace svckit;
using namespace svckit::test;
using namespace std::chrono_literals;

namespace {
boost::json::object error_of(const http::Response& res) {
  return boost::json::parse(res.body()).as_object().at("error").as_object();
}
}  // namespace

class HttpServer : public HttpFixture {};

TEST_F(HttpServer, ServesJsonEndpoint) {
  auto res = roundtrip(post("/echo", R"({"name":"ada"})"));
  EXPECT_EQ(res.result_int(), 200u);
  EXPECT_EQ(res[boost::beast::http::field::content_type], "application/json");
  auto body = boost::json::parse(res.body()).as_object();
  EXPECT_EQ(body.at("name").as_string(), "ada");
  EXPECT_FALSE(res["x-request-id"].empty());  // generated when the client sent none
  EXPECT_EQ(body.at("request_id").as_string(), res["x-request-id"]);
}

TEST_F(HttpServer, PathParametersAndErrorStatuses) {
  auto ok = roundtrip("GET /greetings/bob HTTP/1.1\r\nHost: t\r\n\r\n");
  EXPECT_EQ(ok.result_int(), 200u);
  EXPECT_EQ(boost::json::parse(ok.body()).as_object().at("name").as_string(), "hello bob");
  auto nf = roundtrip("GET /greetings/nobody HTTP/1.1\r\nHost: t\r\n\r\n");
  EXPECT_EQ(nf.result_int(), 404u);
  EXPECT_EQ(error_of(nf).at("code").as_string(), "NOT_FOUND");
}

TEST_F(HttpServer, MalformedJsonIs400WithJsonError) {
  auto res = roundtrip(post("/echo", R"({"name":)"));
  EXPECT_EQ(res.result_int(), 400u);
  EXPECT_EQ(error_of(res).at("code").as_string(), "INVALID_ARGUMENT");
  EXPECT_NE(std::string(error_of(res).at("message").as_string()).find("malformed JSON"), std::string::npos);
}

TEST_F(HttpServer, WrongTypeMissingAndUnknownFieldsAre400NamingTheField) {
  auto wrong = roundtrip(post("/echo", R"({"name":7})"));
  EXPECT_EQ(wrong.result_int(), 400u);
  EXPECT_NE(std::string(error_of(wrong).at("message").as_string()).find("\"name\""), std::string::npos);
  auto missing = roundtrip(post("/echo", R"({})"));
  EXPECT_EQ(missing.result_int(), 400u);
  EXPECT_NE(std::string(error_of(missing).at("message").as_string()).find("\"name\" is required"), std::string::npos);
  auto unknown = roundtrip(post("/echo", R"({"name":"a","nmae":"b"})"));
  EXPECT_EQ(unknown.result_int(), 400u);
  EXPECT_NE(std::string(error_of(unknown).at("message").as_string()).find("\"nmae\""), std::string::npos);
}

TEST_F(HttpServer, UnknownRouteIs404AndWrongMethodIs405) {
  auto nf = roundtrip("GET /nowhere HTTP/1.1\r\nHost: t\r\n\r\n");
  EXPECT_EQ(nf.result_int(), 404u);
  EXPECT_EQ(error_of(nf).at("code").as_string(), "NOT_FOUND");
  auto wm = roundtrip("GET /echo HTTP/1.1\r\nHost: t\r\n\r\n");
  EXPECT_EQ(wm.result_int(), 405u);
  EXPECT_EQ(wm[boost::beast::http::field::allow], "POST");
}

TEST_F(HttpServer, HandlerExceptionIs500AndServerKeepsServing) {
  auto res = roundtrip(post("/throw", "{}"));
  EXPECT_EQ(res.result_int(), 500u);
  EXPECT_EQ(error_of(res).at("message").as_string(), "internal error");  // no internals leak
  EXPECT_EQ(roundtrip(post("/echo", R"({"name":"a"})")).result_int(), 200u);
}

TEST_F(HttpServer, KeepAliveServesManyRequestsOnOneConnection) {
  auto s = connect();
  boost::beast::flat_buffer buf;
  for (int i = 0; i < 20; ++i) {
    send(s, post("/echo", R"({"name":"n)" + std::to_string(i) + R"("})"));
    auto res = read_response(s, buf);
    ASSERT_EQ(res.result_int(), 200u);
    EXPECT_TRUE(res.keep_alive());
    EXPECT_EQ(boost::json::parse(res.body()).as_object().at("name").as_string(), "n" + std::to_string(i));
  }
}

TEST_F(HttpServer, PipelinedRequestsAreAnsweredInOrder) {
  auto s = connect();
  std::string burst;
  for (int i = 0; i < 5; ++i) burst += post("/echo", R"({"name":"p)" + std::to_string(i) + R"("})");
  send(s, burst);  // all five in one write, before reading anything
  boost::beast::flat_buffer buf;
  for (int i = 0; i < 5; ++i) {
    auto res = read_response(s, buf);
    ASSERT_EQ(res.result_int(), 200u);
    EXPECT_EQ(boost::json::parse(res.body()).as_object().at("name").as_string(), "p" + std::to_string(i));
  }
}

// A connection that sent a large body reads later ones in bigger chunks (its read buffer grows): whatever
// of the next requests was already read must survive that growth.
TEST_F(HttpServer, LargeAndSmallPipelinedBodiesArriveIntact) {
  auto s = connect();
  const std::vector<std::string> names = {std::string(300'000, 'a'), "b", std::string(70'000, 'c'), "d",
                                          std::string(200'000, 'e')};
  std::string burst;
  for (const auto& n : names) burst += post("/echo", R"({"name":")" + n + R"("})");
  // Written from another thread while this one reads: the echoes are larger than the socket buffers, so
  // a client that wrote everything before reading could stall the server's writes and its own.
  std::thread writer([fd = s.native_handle(), &burst] {
    for (std::size_t sent = 0; sent < burst.size();) {
      const auto n = ::send(fd, burst.data() + sent, burst.size() - sent, MSG_NOSIGNAL);
      if (n <= 0) return;
      sent += static_cast<std::size_t>(n);
    }
  });
  boost::beast::flat_buffer buf;
  try {
    for (const auto& n : names) {
      auto res = read_response(s, buf);
      EXPECT_EQ(res.result_int(), 200u);
      EXPECT_EQ(boost::json::parse(res.body()).as_object().at("name").as_string(), n);
    }
  } catch (const std::exception& e) {
    ADD_FAILURE() << "reading the answers: " << e.what();
    s.shutdown(boost::asio::ip::tcp::socket::shutdown_both);  // unblocks the writer
  }
  writer.join();
}

TEST_F(HttpServer, ConnectionCloseIsHonoured) {
  auto s = connect();
  send(s, post("/echo", R"({"name":"a"})", "Connection: close\r\n"));
  boost::beast::flat_buffer buf;
  auto res = read_response(s, buf);
  EXPECT_EQ(res.result_int(), 200u);
  EXPECT_FALSE(res.keep_alive());
  EXPECT_TRUE(closed_by_server(s));
}

TEST_F(HttpServer, GarbageRequestIs400) {
  auto s = connect();
  send(s, "THIS IS NOT HTTP\r\n\r\n");
  boost::beast::flat_buffer buf;
  auto res = read_response(s, buf);
  EXPECT_EQ(res.result_int(), 400u);
  EXPECT_TRUE(closed_by_server(s));
}

// The lanes listen with SO_REUSEPORT, which would let a second server (another process, a misconfigured
// second instance) bind a port already in use and take half its connections. It must fail instead.
TEST_F(HttpServer, ASecondServerOnAPortInUseFailsInsteadOfSharingIt) {
  auto second = std::make_shared<svckit::http::Server>(
      io, svckit::http::ServerOptions{.address = "127.0.0.1:" + std::to_string(server->port())}, svckit::http::Router{});
  EXPECT_THROW(second->start(), boost::system::system_error);
  auto s = connect();  // the first one still serves
  send(s, "GET /greetings/ann HTTP/1.1\r\nHost: x\r\n\r\n");
  boost::beast::flat_buffer buf;
  EXPECT_EQ(read_response(s, buf).result_int(), 200u);
}

class HttpServerLimits : public HttpFixture {
 protected:
  void SetUp() override {
    start({.body_limit = 1024, .header_limit = 1024, .read_timeout = std::chrono::milliseconds(300)});
  }
};

TEST_F(HttpServerLimits, OversizedBodyIs413) {
  std::string big = R"({"name":")" + std::string(5000, 'x') + R"("})";
  auto s = connect();
  send(s, post("/echo", big));
  boost::beast::flat_buffer buf;
  auto res = read_response(s, buf);
  EXPECT_EQ(res.result_int(), 413u);
  EXPECT_NE(std::string(error_of(res).at("message").as_string()).find("1024"), std::string::npos);
}

TEST_F(HttpServerLimits, OversizedHeadersAre431) {
  std::string headers = "X-Junk: " + std::string(4000, 'j') + "\r\n";
  auto res = roundtrip(post("/echo", R"({"name":"a"})", headers));
  EXPECT_EQ(res.result_int(), 431u);
}

TEST_F(HttpServerLimits, SlowClientIsDisconnected) {
  auto s = connect();
  send(s, "POST /echo HTTP/1.1\r\nHost: t\r\n");  // headers never finish
  auto start = std::chrono::steady_clock::now();
  EXPECT_TRUE(closed_by_server(s));
  EXPECT_LT(std::chrono::steady_clock::now() - start, 10s);
}

TEST_F(HttpServerLimits, IdleKeepAliveConnectionIsClosed) {
  auto s = connect();
  EXPECT_TRUE(closed_by_server(s));
}

// A client that stops reading its response is dropped after write_timeout, even though the read before it
// ran under the much longer read_timeout (the connection's watchdog re-arms for the earlier deadline).
class HttpServerWriteTimeout : public HttpFixture {
 protected:
  void SetUp() override { start({.write_timeout = std::chrono::milliseconds(300)}); }  // read_timeout stays 30 s
};

TEST_F(HttpServerWriteTimeout, ClientThatStopsReadingIsDroppedAfterWriteTimeout) {
  auto s = connect();
  send(s, "GET /big/64 HTTP/1.1\r\nHost: t\r\n\r\n");
  char head[64];
  s.read_some(boost::asio::buffer(head));  // the answer has begun; the rest of its 64 MiB is never read
  ASSERT_EQ(server->connections(), 1u);
  EXPECT_TRUE(wait_until([&] { return server->connections() == 0; }, 10s));
  EXPECT_EQ(roundtrip(post("/echo", R"({"name":"a"})")).result_int(), 200u);  // and the server keeps serving
}

TEST_F(HttpServer, ClientDisconnectMidRequestLeavesServerHealthy) {
  for (int i = 0; i < 20; ++i) {
    auto s = connect();
    send(s, "POST /echo HTTP/1.1\r\nHost: t\r\nContent-Length: 100\r\n\r\n{\"na");
    s.close();
  }
  // A slow request whose client hangs up before the answer.
  {
    auto s = connect();
    send(s, post("/sleep", R"({"ms":50})"));
    s.close();
  }
  EXPECT_TRUE(wait_until([&] { return sleepers_started.load() == 1 && server->in_flight() == 0; }));
  EXPECT_EQ(roundtrip(post("/echo", R"({"name":"still here"})")).result_int(), 200u);
}

TEST_F(HttpServer, IncomingTimeoutHeaderBecomesTheDeadline) {
  auto res = roundtrip(post("/echo", R"({"name":"a"})", "X-Timeout-Ms: 1500\r\nX-Request-Id: abc-123\r\n"));
  ASSERT_EQ(res.result_int(), 200u);
  auto body = boost::json::parse(res.body()).as_object();
  EXPECT_EQ(body.at("request_id").as_string(), "abc-123");
  EXPECT_EQ(res["x-request-id"], "abc-123");
  auto left = body.at("timeout_ms").as_int64();
  EXPECT_GT(left, 0);
  EXPECT_LE(left, 1500);
}

TEST_F(HttpServer, DeadlineIsEnforcedWith504) {
  auto res = roundtrip(post("/sleep", R"({"ms":10000})", "X-Timeout-Ms: 100\r\n"));
  EXPECT_EQ(res.result_int(), 504u);
  EXPECT_EQ(error_of(res).at("code").as_string(), "DEADLINE_EXCEEDED");
  EXPECT_TRUE(wait_until([&] { return sleepers_cancelled.load() == 1; }));  // the endpoint was cancelled
}

TEST_F(HttpServer, GracefulShutdownFinishesInFlightAndRefusesNew) {
  auto s = connect();
  send(s, post("/sleep", R"({"ms":300})"));
  ASSERT_TRUE(wait_until([&] { return sleepers_started.load() == 1; }));
  std::thread stopper([&] { server->shutdown(std::chrono::steady_clock::now() + 5s); });
  boost::beast::flat_buffer buf;
  auto res = read_response(s, buf);  // the in-flight request still gets its answer
  EXPECT_EQ(res.result_int(), 200u);
  EXPECT_FALSE(res.keep_alive());  // and is told the connection closes
  stopper.join();
  EXPECT_EQ(server->in_flight(), 0u);
  tcp::socket late(client_io);
  boost::system::error_code ec;
  late.connect(tcp::endpoint(boost::asio::ip::make_address("127.0.0.1"), server->port()), ec);
  EXPECT_TRUE(ec) << "a new connection was accepted after shutdown";
}
