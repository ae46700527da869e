// Content negotiation (go-micro's message encoding): an endpoint of protobuf messages answers JSON and
// protobuf binary as Content-Type and Accept say, over a real socket to curl; anything else is 415 or 406.
#include "svckit/transport/http/content_type.hpp"

#include <gtest/gtest.h>

#include <memory>

#include "generator/greeter_service.hpp"
#include "svckit/io_pool.hpp"
#include "svckit/transport/http/router.hpp"
#include "svckit/transport/http/serve.hpp"
#include "svckit/transport/http/server.hpp"
#include "support/curl.hpp"
#include "support/http_fixture.hpp"

using svckit::http::BodyFormat;
using svckit::http::reply_format;
using svckit::http::request_format;

TEST(ContentType, RequestBodiesAreJsonOrProtobufAndNothingElse) {
  for (const char* json : {"", "application/json", "Application/JSON; charset=utf-8", "application/problem+json",
                           "application/x-www-form-urlencoded", "text/plain;charset=UTF-8"})
    EXPECT_EQ(request_format(json, true), BodyFormat::Json) << json;
  for (const char* proto : {"application/x-protobuf", "application/protobuf", "APPLICATION/X-PROTOBUF; messageType=x"})
    EXPECT_EQ(request_format(proto, true), BodyFormat::Protobuf) << proto;
  EXPECT_EQ(request_format("application/x-protobuf", false), std::nullopt) << "a route of plain structs takes JSON only";
  for (const char* other : {"text/html", "application/xml", "multipart/form-data; boundary=x", "json", "application/+json"})
    EXPECT_EQ(request_format(other, true), std::nullopt) << other;
}

TEST(ContentType, AcceptChoosesByQualityAndTheMostSpecificRangeWins) {
  EXPECT_EQ(reply_format("", BodyFormat::Protobuf, true), BodyFormat::Protobuf) << "no Accept: the request's format";
  EXPECT_EQ(reply_format("*/*", BodyFormat::Json, true), BodyFormat::Json);
  EXPECT_EQ(reply_format("application/x-protobuf", BodyFormat::Json, true), BodyFormat::Protobuf);
  EXPECT_EQ(reply_format("application/json;q=0.5, application/x-protobuf;q=0.9", BodyFormat::Json, true), BodyFormat::Protobuf);
  EXPECT_EQ(reply_format("application/json;q=0, */*", BodyFormat::Json, true), BodyFormat::Protobuf)
      << "a specific q=0 refuses JSON even under */*";
  EXPECT_EQ(reply_format("application/x-protobuf", BodyFormat::Json, false), std::nullopt) << "no protobuf to send";
  EXPECT_EQ(reply_format("image/png", BodyFormat::Json, true), std::nullopt);
  EXPECT_EQ(reply_format("text/plain", BodyFormat::Json, true), std::nullopt) << "replies are never sent as text/plain";
  EXPECT_EQ(reply_format("text/html,application/xhtml+xml,*/*;q=0.8", BodyFormat::Json, true), BodyFormat::Json) << "a browser";
  EXPECT_EQ(reply_format("application/json;q=2", BodyFormat::Json, false), std::nullopt) << "a malformed q refuses";
  EXPECT_EQ(reply_format("application/json;q=0.5x", BodyFormat::Json, false), std::nullopt);
  // Found by content_type_fuzz: a type that matches only case-insensitively, ending exactly where the header's
  // bytes end (the ASan build sees a read past them; Beast's iequals made one).
  {
    const std::string_view text = "applicatioN/*";
    auto bytes = std::make_unique<char[]>(text.size());
    std::copy(text.begin(), text.end(), bytes.get());
    EXPECT_EQ(reply_format(std::string_view(bytes.get(), text.size()), BodyFormat::Json, false), BodyFormat::Json);
  }
  // Only the first 32 entries are read: a huge Accept costs a bounded amount of work.
  std::string many;
  for (int i = 0; i < 40; ++i) many += "image/x" + std::to_string(i) + ",";
  EXPECT_EQ(reply_format(many + "application/json", BodyFormat::Json, false), std::nullopt);
}

namespace {

// greeter's HTTP routes (generated, so SayHello is served with svckit::http::serve) on a real server, and
// curl as the client.
class ContentNegotiation : public ::testing::Test {
 protected:
  void SetUp() override {
    svckit::http::Router router;
    greeter::add_http_routes(router, greeter::make_endpoints(std::make_shared<greeter::GreeterService>("n")));
    // A route of plain structs (JSON only), for contrast.
    router.add(svckit::http::Verb::post, "/plain",
               svckit::http::serve(svckit::Endpoint<svckit::test::Greeting, svckit::test::Greeting>(
                   [](const svckit::Context&, const svckit::test::Greeting& g) -> boost::asio::awaitable<svckit::Result<svckit::test::Greeting>> {
                     co_return g;
                   })));
    server = std::make_shared<svckit::http::Server>(io, svckit::http::ServerOptions{.address = "127.0.0.1:0"}, std::move(router));
    server->start();
    io.start();
    curl_ = std::make_unique<svckit::test::Curl>(server->port());
  }
  void TearDown() override {
    server->shutdown(std::chrono::steady_clock::now() + std::chrono::seconds(2));
    io.stop();
    io.join();
  }

  using Reply = svckit::test::Curl::Reply;
  /// curl POSTs `body` (bytes, from a file) to `path` with these extra curl arguments.
  Reply curl(const std::string& path, const std::string& body, const std::string& args) {
    return (*curl_)("POST", path, body, args);
  }
  static std::string hello(const std::string& name) {
    greeter::HelloRequest req;
    req.set_name(name);
    return req.SerializeAsString();
  }

  svckit::IoPool io{1};
  std::shared_ptr<svckit::http::Server> server;
  std::unique_ptr<svckit::test::Curl> curl_;
};

}  // namespace

TEST_F(ContentNegotiation, JsonAsBeforeFromCurlsDefaults) {
  auto r = curl("/say-hello", R"({"name":"ann"})", "");  // curl -d sends application/x-www-form-urlencoded
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.content_type, "application/json");
  EXPECT_EQ(r.body, R"({"message":"hello ann from n"})");
}

TEST_F(ContentNegotiation, ProtobufInProtobufOutUnlessAcceptSaysOtherwise) {
  auto r = curl("/say-hello", hello("bo"), "-H 'Content-Type: application/x-protobuf'");
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.content_type, "application/x-protobuf");
  greeter::HelloReply reply;
  ASSERT_TRUE(reply.ParseFromString(r.body)) << r.body;
  EXPECT_EQ(reply.message(), "hello bo from n");

  auto as_json = curl("/say-hello", hello("cy"), "-H 'Content-Type: application/x-protobuf' -H 'Accept: application/json'");
  EXPECT_EQ(as_json.status, 200);
  EXPECT_EQ(as_json.body, R"({"message":"hello cy from n"})");

  auto json_to_proto = curl("/say-hello", R"({"name":"di"})", "-H 'Content-Type: application/json' -H 'Accept: application/x-protobuf'");
  EXPECT_EQ(json_to_proto.status, 200);
  ASSERT_TRUE(reply.ParseFromString(json_to_proto.body));
  EXPECT_EQ(reply.message(), "hello di from n");
}

TEST_F(ContentNegotiation, OtherTypesAre415Or406AndBadBytesAre400WithTheJsonErrorBody) {
  auto html = curl("/say-hello", "<p>hi</p>", "-H 'Content-Type: text/html'");
  EXPECT_EQ(html.status, 415);
  EXPECT_NE(html.body.find("application/json or application/x-protobuf"), std::string::npos) << html.body;
  auto png = curl("/say-hello", R"({"name":"ed"})", "-H 'Content-Type: application/json' -H 'Accept: image/png'");
  EXPECT_EQ(png.status, 406);
  EXPECT_NE(png.body.find("\"error\""), std::string::npos) << png.body;
  auto garbage = curl("/say-hello", std::string("\xff\xff\xff\x01", 4), "-H 'Content-Type: application/x-protobuf'");
  EXPECT_EQ(garbage.status, 400);
  EXPECT_NE(garbage.body.find("INVALID_ARGUMENT"), std::string::npos) << garbage.body;
  auto plain = curl("/plain", hello("x"), "-H 'Content-Type: application/x-protobuf'");
  EXPECT_EQ(plain.status, 415) << "a route of plain structs has no protobuf form";
  EXPECT_EQ(plain.body.find("x-protobuf"), std::string::npos) << plain.body;
  auto empty_ok = curl("/plain", R"({"name":"fy"})", "-H 'Content-Type: application/json'");
  EXPECT_EQ(empty_ok.status, 200);
}
