// TLS on both transports, checked with clients nobody here wrote (curl, Python's grpcio secure_channel) as
// well as svckit's own: certificates from scripts/make-certs.sh, servers on 127.0.0.1.
#include <poll.h>
#include <sys/socket.h>

#include <gtest/gtest.h>

#include <atomic>
#include <thread>

#include <boost/asio/ssl/context.hpp>
#include <boost/asio/ssl/stream.hpp>

#include <CLI/CLI.hpp>

#include "support/build_paths.hpp"
#include "support/certs.hpp"
#include "support/http_call.hpp"
#include "support/http_fixture.hpp"
#include "support/run.hpp"
#include "svckit/metrics/registry.hpp"
#include "svckit/runner.hpp"
#include "svckit/tls.hpp"
#include "svckit/transport/grpc/client.hpp"
#include "svckit/transport/grpc/server.hpp"
#include "svckit/transport/grpc/wire_channel.hpp"
#include "svckit/transport/http/client.hpp"

using namespace svckit;
using namespace svckit::test;
using namespace std::chrono_literals;

namespace {

std::shared_ptr<const tls::Credentials> server_tls(bool mutual = false) {
  return tls::load_server(
      {.cert_file = cert("server.crt"), .key_file = cert("server.key"), .client_ca_file = mutual ? cert("ca.crt") : ""});
}

std::string curl(std::uint16_t port, const std::string& flags) {
  return "curl -sS --max-time 5 " + flags + " https://127.0.0.1:" + std::to_string(port) + "/greetings/ada";
}

// Reads (and discards) until the peer closes or `limit` passes; true if it closed in time.
bool closed_within(boost::asio::ip::tcp::socket& s, std::chrono::milliseconds limit) {
  const auto end = std::chrono::steady_clock::now() + limit;
  for (;;) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(end - std::chrono::steady_clock::now());
    if (left.count() <= 0) return false;
    pollfd p{s.native_handle(), POLLIN, 0};
    if (::poll(&p, 1, static_cast<int>(left.count())) <= 0) continue;
    char buf[256];
    auto n = ::recv(s.native_handle(), buf, sizeof buf, MSG_DONTWAIT);
    if (n == 0 || (n < 0 && errno != EAGAIN && errno != EINTR)) return true;  // EOF or reset
  }
}

double handshake_failures(const char* transport) {
  return metrics::default_registry()
      .counter("svckit_tls_handshake_failures_total", "TLS handshakes a server refused or that failed.", {"transport"})
      .with({transport})
      .value();
}

class Https : public HttpFixture {
 protected:
  void SetUp() override {}  // each test starts its server with the TLS options it needs
  template <class T>
  T run(boost::asio::awaitable<T> aw) {
    return run_on(io.context(0).get_executor(), std::move(aw));
  }
  Result<http::Response> get(http::ClientOptions opts, std::string host = "127.0.0.1") {
    auto c = std::make_shared<http::Client>(host, server->port(), std::move(opts));
    Context ctx;
    ctx.set_timeout(5s);
    return run(c->request(ctx, http::Verb::get, "/greetings/ada"));
  }
};

TEST_F(Https, CurlWithTheCaIsServedAndCurlWithoutItRefusesTheCertificate) {
  start({.tls = server_tls()});
  auto ok = run_command(curl(server->port(), "--cacert " + cert("ca.crt")));
  EXPECT_EQ(ok.exit_code, 0) << ok.output;
  EXPECT_NE(ok.output.find("hello ada"), std::string::npos) << ok.output;
  // curl trusts only the system store by default: our CA is not in it.
  auto untrusted = run_command(curl(server->port(), ""));
  EXPECT_EQ(untrusted.exit_code, 60) << untrusted.output;  // CURLE_PEER_FAILED_VERIFICATION
}

TEST_F(Https, APlaintextClientIsRefusedAndTheServerGoesOnServingTls) {
  start({.tls = server_tls()});
  const double before = handshake_failures("http");
  auto plain = http_call(server->port(), "GET", "/greetings/ada");
  EXPECT_NE(plain.status, 200) << plain.headers;  // no HTTP answer: the handshake failed on its first byte
  EXPECT_EQ(plain.body.find("hello"), std::string::npos);
  EXPECT_TRUE(wait_until([&] { return handshake_failures("http") > before; }));
  auto ok = run_command(curl(server->port(), "--cacert " + cert("ca.crt")));
  EXPECT_EQ(ok.exit_code, 0) << ok.output;
}

TEST_F(Https, SvckitClientVerifiesTheServerAndReusesItsTlsConnection) {
  start({.tls = server_tls()});
  auto c = std::make_shared<http::Client>("127.0.0.1", server->port(),
                                          http::ClientOptions{.tls = tls::load_client({.ca_file = cert("ca.crt")})});
  for (int i = 0; i < 5; ++i) {
    Context ctx;
    auto r = run(c->request(ctx, http::Verb::get, "/greetings/ada"));
    ASSERT_TRUE(r.ok()) << r.status();
    EXPECT_NE(r->body().find("hello ada"), std::string::npos);
  }
  EXPECT_EQ(c->connections_opened(), 1u);
  // "localhost" is in the certificate too (a DNS name: verified and sent as SNI).
  auto by_name = get({.tls = tls::load_client({.ca_file = cert("ca.crt")})}, "localhost");
  EXPECT_TRUE(by_name.ok()) << by_name.status();
}

TEST_F(Https, SvckitClientRefusesAnUntrustedCaOrAWrongName) {
  start({.tls = server_tls()});
  auto other_ca = get({.tls = tls::load_client({.ca_file = cert("other-ca.crt")})});
  ASSERT_FALSE(other_ca.ok());
  EXPECT_EQ(other_ca.status().code(), StatusCode::Unavailable);
  EXPECT_NE(other_ca.status().message().find("TLS handshake"), std::string::npos) << other_ca.status();
  auto wrong_name = get({.tls = tls::load_client({.ca_file = cert("ca.crt"), .server_name = "db.example.internal"})});
  ASSERT_FALSE(wrong_name.ok());
  EXPECT_EQ(wrong_name.status().code(), StatusCode::Unavailable);
  // A plaintext client's bytes are not HTTP to a TLS server: it gets no response.
  auto plaintext = get({});
  EXPECT_FALSE(plaintext.ok());
}

TEST_F(Https, MutualTlsServesOnlyClientsWithACertificateFromItsCa) {
  start({.tls = server_tls(/*mutual=*/true)});
  const std::string ca = "--cacert " + cert("ca.crt");
  auto with_cert = run_command(curl(server->port(), ca + " --cert " + cert("client.crt") + " --key " + cert("client.key")));
  EXPECT_EQ(with_cert.exit_code, 0) << with_cert.output;
  EXPECT_NE(with_cert.output.find("hello ada"), std::string::npos);
  auto without = run_command(curl(server->port(), ca));
  EXPECT_NE(without.exit_code, 0) << without.output;
  EXPECT_EQ(without.output.find("hello"), std::string::npos);
  auto other = run_command(
      curl(server->port(), ca + " --cert " + cert("other-client.crt") + " --key " + cert("other-client.key")));
  EXPECT_NE(other.exit_code, 0) << other.output;
  EXPECT_EQ(other.output.find("hello"), std::string::npos);

  auto svckit_with = get({.tls = tls::load_client(
                              {.ca_file = cert("ca.crt"), .cert_file = cert("client.crt"), .key_file = cert("client.key")})});
  EXPECT_TRUE(svckit_with.ok()) << svckit_with.status();
  auto svckit_without = get({.tls = tls::load_client({.ca_file = cert("ca.crt")})});
  EXPECT_FALSE(svckit_without.ok());
}

// A client that connects and then stalls, before or inside the handshake, holds a connection only until
// read_timeout: the handshake is bounded like a request.
TEST_F(Https, AClientThatStallsInTheHandshakeIsDisconnectedAtTheReadTimeout) {
  start({.read_timeout = 300ms, .tls = server_tls()});
  for (std::string_view sent : {std::string_view(), std::string_view("\x16\x03\x01\x02\x00", 5)}) {
    auto s = connect();
    if (!sent.empty()) send(s, sent);  // the first bytes of a TLS record header, then nothing
    EXPECT_TRUE(closed_within(s, 10s));  // a server that never closes fails here rather than hanging
  }
  EXPECT_TRUE(wait_until([&] { return server->connections() == 0; }));
}

TEST(TlsConfig, BadFilesFailAtLoadNamingTheFile) {
  auto message = [](auto fn) {
    try {
      fn();
    } catch (const std::invalid_argument& e) {
      return std::string(e.what());
    }
    return std::string("(no error)");
  };
  auto missing = message([] { tls::load_server({.cert_file = "/nonexistent.crt", .key_file = cert("server.key")}); });
  EXPECT_NE(missing.find("/nonexistent.crt"), std::string::npos) << missing;
  auto not_pem = message([] { tls::load_server({.cert_file = "/etc/hostname", .key_file = cert("server.key")}); });
  EXPECT_NE(not_pem.find("not PEM"), std::string::npos) << not_pem;
  // A device that never ends is refused after 1 MiB rather than read into memory without end.
  auto endless = message([] { tls::load_server({.cert_file = "/dev/zero", .key_file = cert("server.key")}); });
  EXPECT_NE(endless.find("larger than 1 MiB"), std::string::npos) << endless;
  auto mismatch = message([] { tls::load_server({.cert_file = cert("server.crt"), .key_file = cert("client.key")}); });
  EXPECT_NE(mismatch.find("mismatch"), std::string::npos) << mismatch;
  auto no_key = message([] { tls::load_client({.ca_file = cert("ca.crt"), .cert_file = cert("client.crt")}); });
  EXPECT_NE(no_key.find("needs its key"), std::string::npos) << no_key;
  auto key_as_ca = message([] { tls::load_client({.ca_file = cert("client.key")}); });
  EXPECT_NE(key_as_ca.find("TLS CA"), std::string::npos) << key_as_ca;
}

// gRPC: the built-in health service over TLS, called by Python's grpcio and by svckit's own channel — on
// gRPC's C++ library and on svckit's own wire (--grpc-wire) alike.
class GrpcTls : public ::testing::TestWithParam<bool> {
 protected:
  void start(std::shared_ptr<const tls::Credentials> creds) {
    server = std::make_shared<svckit::grpc::Server>(
        io, svckit::grpc::ServerOptions{.address = "127.0.0.1:0", .tls = std::move(creds), .own_wire = GetParam()});
    server->start();
    server->set_serving(true);
    io.start();
  }
  void TearDown() override {
    if (server) server->shutdown(std::chrono::steady_clock::now() + 5s);
    server.reset();
    io.stop();
    io.join();
  }
  CommandResult python(const std::string& flags) {
    return run_command("/usr/bin/python3 " + svckit::test::paths::source_dir() + "/tests/transport/grpc_health_client.py 127.0.0.1:" +
                       std::to_string(server->port()) + " " + flags);
  }
  Status health_check(svckit::grpc::ChannelOptions opts) {
    auto channel = svckit::grpc::make_channel("127.0.0.1:" + std::to_string(server->port()), std::move(opts));
    Context ctx;
    ctx.set_timeout(5s);
    ::grpc::Slice empty(std::string{});  // HealthCheckRequest{} (service ""): zero bytes, but a message
    auto r = run_on(io.context(0).get_executor(),
                    svckit::grpc::unary_call(channel, "/grpc.health.v1.Health/Check", ctx, ::grpc::ByteBuffer(&empty, 1)));
    return r.ok() ? Status() : r.status();
  }
  IoPool io{2};
  std::shared_ptr<svckit::grpc::Server> server;
};

// The health Check over svckit's own wire client, from an io thread; the status (or OK).
Status wire_health_check(IoPool& io, std::uint16_t port, svckit::grpc::WireChannelOptions opts) {
  auto channel = svckit::grpc::WireChannel::create("127.0.0.1:" + std::to_string(port), std::move(opts));
  Context ctx;
  ctx.set_timeout(5s);
  auto r = run_on(io.context(0).get_executor(), channel->unary("/grpc.health.v1.Health/Check", ctx, ""));
  return r.ok() ? Status() : r.status();
}

TEST_P(GrpcTls, PythonSecureChannelIsServedAndAnInsecureOneIsNot) {
  start(server_tls());
  auto secure = python("--ca " + cert("ca.crt"));
  EXPECT_EQ(secure.exit_code, 0) << secure.output;
  EXPECT_EQ(secure.output, "SERVING\n");
  auto insecure = python("");
  EXPECT_EQ(insecure.exit_code, 1) << insecure.output;
  EXPECT_NE(insecure.output.find("UNAVAILABLE"), std::string::npos) << insecure.output;
  auto untrusted = python("--ca " + cert("other-ca.crt"));
  EXPECT_EQ(untrusted.exit_code, 1) << untrusted.output;
}

TEST_P(GrpcTls, SvckitChannelVerifiesTheServer) {
  start(server_tls());
  auto ok = health_check({.tls = tls::load_client({.ca_file = cert("ca.crt")})});
  EXPECT_TRUE(ok.ok()) << ok;
  EXPECT_EQ(health_check({}).code(), StatusCode::Unavailable);  // plaintext to a TLS port
  EXPECT_EQ(health_check({.tls = tls::load_client({.ca_file = cert("other-ca.crt")})}).code(), StatusCode::Unavailable);
  EXPECT_EQ(health_check({.tls = tls::load_client({.ca_file = cert("ca.crt"), .server_name = "db.example.internal"})}).code(),
            StatusCode::Unavailable);
}

// The own wire's client verifies the server as the grpc++ channel does, and says why it would not talk.
TEST_P(GrpcTls, WireChannelVerifiesTheServer) {
  start(server_tls());
  const auto port = server->port();
  auto ok = wire_health_check(io, port, {.tls = tls::load_client({.ca_file = cert("ca.crt")})});
  EXPECT_TRUE(ok.ok()) << ok;
  auto by_name = wire_health_check(io, port, {.tls = tls::load_client({.ca_file = cert("ca.crt"), .server_name = "localhost"})});
  EXPECT_TRUE(by_name.ok()) << by_name;
  EXPECT_EQ(wire_health_check(io, port, {}).code(), StatusCode::Unavailable);  // plaintext to a TLS port
  auto untrusted = wire_health_check(io, port, {.tls = tls::load_client({.ca_file = cert("other-ca.crt")})});
  EXPECT_EQ(untrusted.code(), StatusCode::Unavailable);
  EXPECT_NE(untrusted.message().find("certificate verify failed"), std::string::npos) << untrusted;
  auto wrong_name = wire_health_check(io, port, {.tls = tls::load_client({.ca_file = cert("ca.crt"), .server_name = "db.example.internal"})});
  EXPECT_EQ(wrong_name.code(), StatusCode::Unavailable);
  EXPECT_NE(wrong_name.message().find("TLS handshake failed"), std::string::npos) << wrong_name;
}

TEST_P(GrpcTls, WireChannelPresentsItsCertificateForMutualTls) {
  start(server_tls(/*mutual=*/true));
  const auto port = server->port();
  auto with_cert = wire_health_check(
      io, port, {.tls = tls::load_client({.ca_file = cert("ca.crt"), .cert_file = cert("client.crt"), .key_file = cert("client.key")})});
  EXPECT_TRUE(with_cert.ok()) << with_cert;
  EXPECT_EQ(wire_health_check(io, port, {.tls = tls::load_client({.ca_file = cert("ca.crt")})}).code(), StatusCode::Unavailable);
  EXPECT_EQ(wire_health_check(io, port,
                              {.tls = tls::load_client({.ca_file = cert("ca.crt"), .cert_file = cert("other-client.crt"),
                                                        .key_file = cert("other-client.key")})})
                .code(),
            StatusCode::Unavailable);
}

TEST_P(GrpcTls, MutualTlsNeedsAClientCertificateFromItsCa) {
  start(server_tls(/*mutual=*/true));
  auto with_cert = python("--ca " + cert("ca.crt") + " --cert " + cert("client.crt") + " --key " + cert("client.key"));
  EXPECT_EQ(with_cert.exit_code, 0) << with_cert.output;
  auto without = python("--ca " + cert("ca.crt"));
  EXPECT_EQ(without.exit_code, 1) << without.output;
  auto other = python("--ca " + cert("ca.crt") + " --cert " + cert("other-client.crt") + " --key " + cert("other-client.key"));
  EXPECT_EQ(other.exit_code, 1) << other.output;
  EXPECT_TRUE(health_check({.tls = tls::load_client({.ca_file = cert("ca.crt"),
                                                      .cert_file = cert("client.crt"),
                                                      .key_file = cert("client.key")})})
                  .ok());
  EXPECT_FALSE(health_check({.tls = tls::load_client({.ca_file = cert("ca.crt")})}).ok());
}

// ALPN: gRPC is HTTP/2, so the handshake says "h2"; a client that offers only HTTP/1.1 is refused in it.
TEST_P(GrpcTls, AlpnSelectsH2AndRefusesAClientWithoutIt) {
  start(server_tls());
  const std::string connect = "echo | openssl s_client -connect 127.0.0.1:" + std::to_string(server->port()) + " -CAfile " +
                              cert("ca.crt") + " -servername localhost";
  auto h2 = run_command(connect + " -alpn h2");
  EXPECT_NE(h2.output.find("ALPN protocol: h2"), std::string::npos) << h2.output;
  auto http1 = run_command(connect + " -alpn http/1.1");
  if (GetParam()) {  // (gRPC's C++ server lets such a client finish its handshake and fails it later)
    EXPECT_EQ(http1.output.find("ALPN protocol:"), std::string::npos) << http1.output;
    EXPECT_NE(http1.output.find("no application protocol"), std::string::npos) << http1.output;
  }
  EXPECT_EQ(python("--ca " + cert("ca.crt")).output, "SERVING\n") << "the server goes on";
}

// The own wire's handshake is bounded by preface_timeout; one that fails (plaintext HTTP/2 to a TLS port)
// is counted, and the server goes on.
TEST(GrpcWireTls, AStalledOrPlaintextHandshakeIsClosedAndCounted) {
  IoPool io{1};
  svckit::grpc::Server server(io, {.address = "127.0.0.1:0", .tls = server_tls(), .own_wire = true, .preface_timeout = 300ms});
  server.start();
  io.start();
  boost::asio::io_context client;
  for (std::string_view sent : {std::string_view(), std::string_view("\x16\x03\x01\x02\x00", 5),
                                std::string_view("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n")}) {
    const double before = handshake_failures("grpc");
    boost::asio::ip::tcp::socket s(client);
    s.connect({boost::asio::ip::make_address("127.0.0.1"), server.port()});
    if (!sent.empty()) boost::asio::write(s, boost::asio::buffer(sent));
    EXPECT_TRUE(closed_within(s, 10s)) << "closed by the handshake's bound, not left open";
    EXPECT_TRUE(wait_until([&] { return handshake_failures("grpc") > before; })) << testing::PrintToString(std::string(sent));
  }
  EXPECT_NE(server.describe().find("TLS"), std::string::npos) << server.describe();
  server.shutdown(std::chrono::steady_clock::now() + 5s);
  io.stop();
  io.join();
}

// A TLS server that does not choose h2 in ALPN (an HTTPS server, say) is not a gRPC server: the own wire's
// client refuses it after the handshake, saying so, rather than speaking HTTP/2 into it. And TLS to a
// plaintext (h2c) server fails at once, not at the call's deadline.
TEST(GrpcWireTls, WireChannelRefusesATlsServerWithoutH2AndAPlaintextOne) {
  boost::asio::io_context https;
  boost::asio::ssl::context ctx(boost::asio::ssl::context::tls_server);
  ctx.use_certificate_chain_file(cert("server.crt"));
  ctx.use_private_key_file(cert("server.key"), boost::asio::ssl::context::pem);
  boost::asio::ip::tcp::acceptor acceptor(https, {boost::asio::ip::make_address("127.0.0.1"), 0});
  std::atomic<bool> handshaken{false};
  std::thread no_alpn([&] {  // one connection: the handshake (no ALPN callback), then read until it closes
    boost::system::error_code ec;
    boost::asio::ssl::stream<boost::asio::ip::tcp::socket> s(acceptor.accept(), ctx);
    s.handshake(boost::asio::ssl::stream_base::server, ec);
    handshaken = !ec;
    char buf[256];
    while (!ec) s.read_some(boost::asio::buffer(buf), ec);
  });
  IoPool io{1};
  io.start();
  auto refused = wire_health_check(io, acceptor.local_endpoint().port(), {.tls = tls::load_client({.ca_file = cert("ca.crt")})});
  no_alpn.join();
  EXPECT_TRUE(handshaken) << "the handshake itself succeeded";
  EXPECT_EQ(refused.code(), StatusCode::Unavailable);
  EXPECT_NE(refused.message().find("ALPN h2"), std::string::npos) << refused;

  svckit::grpc::Server plaintext(io, {.address = "127.0.0.1:0", .own_wire = true});
  plaintext.start();
  const auto start = std::chrono::steady_clock::now();
  auto to_plain = wire_health_check(io, plaintext.port(), {.tls = tls::load_client({.ca_file = cert("ca.crt")})});
  EXPECT_EQ(to_plain.code(), StatusCode::Unavailable) << to_plain;
  EXPECT_LT(std::chrono::steady_clock::now() - start, 4s) << "failed in the handshake, not at the 5 s deadline";
  plaintext.shutdown(std::chrono::steady_clock::now() + 5s);
  io.stop();
  io.join();
}

// A server that takes the TCP connection and then says nothing (a hung process, a port forwarded into a
// void): the TLS handshake counts against connect_timeout, and the call fails then, saying so, not at its
// deadline.
TEST(GrpcWireTls, AHandshakeThatStallsEndsAtTheConnectTimeout) {
  boost::asio::io_context mute;
  boost::asio::ip::tcp::acceptor acceptor(mute, {boost::asio::ip::make_address("127.0.0.1"), 0});
  std::thread server([&] {  // accepts one connection, reads (the ClientHello) and never answers
    boost::system::error_code ec;
    auto s = acceptor.accept();
    char buf[256];
    while (!ec) s.read_some(boost::asio::buffer(buf), ec);
  });
  IoPool io{1};
  io.start();
  const auto start = std::chrono::steady_clock::now();
  auto r = wire_health_check(io, acceptor.local_endpoint().port(),
                             {.connect_timeout = 300ms, .tls = tls::load_client({.ca_file = cert("ca.crt")})});
  EXPECT_EQ(r.code(), StatusCode::Unavailable) << r;
  EXPECT_NE(r.message().find("no connection within 300 ms"), std::string::npos) << r;
  EXPECT_LT(std::chrono::steady_clock::now() - start, 4s) << "ended by connect_timeout, not the 5 s deadline";
  server.join();  // the client closed the connection
  io.stop();
  io.join();
}

INSTANTIATE_TEST_SUITE_P(Servers, GrpcTls, ::testing::Values(false, true),
                         [](const ::testing::TestParamInfo<bool>& p) { return p.param ? "OwnWire" : "GrpcCpp"; });

}  // namespace

namespace {

// Parses runner flags; the CLI11 error message, or "" when they parse.
std::string parse_runner_flags(RunnerOptions& o, std::vector<std::string> args) {
  CLI::App app{"t"};
  add_runner_flags(app, o);
  args.insert(args.begin(), "t");
  std::vector<char*> argv;
  for (auto& a : args) argv.push_back(a.data());
  try {
    app.parse(static_cast<int>(argv.size()), argv.data());
    return "";
  } catch (const CLI::ParseError& e) {
    return e.what();
  }
}

}  // namespace

TEST(RunnerTls, FlagsGiveServerAndClientCredentials) {
  RunnerOptions o;
  ASSERT_EQ(parse_runner_flags(o, {"--tls-cert", cert("server.crt"), "--tls-key", cert("server.key"), "--tls-client-ca",
                                   cert("ca.crt"), "--tls-ca", cert("ca.crt")}),
            "");
  Runner runner(o);
  ASSERT_TRUE(runner.server_tls());
  EXPECT_TRUE(runner.server_tls()->require_client_cert);
  ASSERT_TRUE(runner.client_tls());
  EXPECT_FALSE(runner.client_tls()->cert_pem.empty()) << "the service's certificate is its client certificate";
  EXPECT_FALSE(runner.client_tls()->ca_pem.empty());

  RunnerOptions plain;
  ASSERT_EQ(parse_runner_flags(plain, {}), "");
  Runner plain_runner(plain);
  EXPECT_FALSE(plain_runner.server_tls());
  EXPECT_FALSE(plain_runner.client_tls());
}

TEST(RunnerTls, BadTlsFlagsAreFlagErrorsThatSayWhy) {
  const std::vector<std::pair<std::vector<std::string>, std::string>> cases = {
      {{"--tls-cert", "/nonexistent/svc.crt", "--tls-key", cert("server.key")}, "/nonexistent/svc.crt"},
      {{"--tls-cert", cert("server.crt")}, "go together"},
      {{"--tls-client-ca", cert("ca.crt")}, "needs --tls-cert"},
      {{"--tls-cert", cert("server.crt"), "--tls-key", cert("client.key")}, "client.key"},
      {{"--tls-ca", cert("server.key")}, "server.key"},
  };
  for (const auto& [args, why] : cases) {
    RunnerOptions o;
    auto error = parse_runner_flags(o, args);
    EXPECT_NE(error.find(why), std::string::npos) << args[0] << ": '" << error << "' should say " << why;
    EXPECT_THROW(Runner{o}, std::invalid_argument) << args[0];
  }
}
