// REST routes declared in the .proto (svckit/api/http.proto), as protoc-gen-svckit generates them from
// tests/generator/shelf.proto: curl on a real socket sends each route's bytes; the generated HTTP client
// calls the same routes; bad path and query values are 400s naming the field.
#include <gtest/gtest.h>

#include <boost/json.hpp>

#include "shelf_service.hpp"
#include "support/curl.hpp"
#include "support/run.hpp"
#include "svckit/io_pool.hpp"
#include "svckit/transport/http/route_binding.hpp"
#include "svckit/transport/http/router.hpp"
#include "svckit/transport/http/server.hpp"

namespace {

using Reply = svckit::test::Curl::Reply;

class ShelfRoutes : public ::testing::Test {
 protected:
  void SetUp() override {
    svckit::http::Router router;
    shelf::add_http_routes(router, shelf::make_endpoints(std::make_shared<shelf::ShelfService>()));
    server = std::make_shared<svckit::http::Server>(io, svckit::http::ServerOptions{.address = "127.0.0.1:0"}, std::move(router));
    server->start();
    io.start();
    curl = std::make_unique<svckit::test::Curl>(server->port());
  }
  void TearDown() override {
    server->shutdown(std::chrono::steady_clock::now() + std::chrono::seconds(2));
    io.stop();
    io.join();
  }
  static boost::json::value json(const Reply& r) { return boost::json::parse(r.body); }
  void add(const std::string& body) { ASSERT_EQ((*curl)("POST", "/books", body).status, 201); }
  /// The message of a JSON error body.
  static std::string error(const Reply& r) { return std::string(json(r).at("error").at("message").as_string()); }

  svckit::IoPool io{1};
  std::shared_ptr<svckit::http::Server> server;
  std::unique_ptr<svckit::test::Curl> curl;
};

TEST_F(ShelfRoutes, PostWithABodyAnswersItsSuccessStatusWithIdsAsNumbers) {
  auto r = (*curl)("POST", "/books", R"({"title":"Dune","tags":["sf"],"genre":"NOVEL"})");
  EXPECT_EQ(r.status, 201);
  EXPECT_EQ(json(r), boost::json::parse(R"({"id":1,"title":"Dune","tags":["sf"],"genre":"NOVEL"})")) << r.body;
}

TEST_F(ShelfRoutes, PathParametersSetFieldsOnEveryBinding) {
  add(R"({"title":"Dune"})");
  EXPECT_EQ(json((*curl)("GET", "/books/1")).at("title"), "Dune");
  EXPECT_EQ(json((*curl)("GET", "/v1/books/1")).at("title"), "Dune") << "additional_bindings";
  EXPECT_EQ((*curl)("GET", "/books/2").status, 404);
  auto patched = (*curl)("PATCH", "/books/1", R"({"title":"Dune Messiah"})");
  EXPECT_EQ(patched.status, 200);
  EXPECT_EQ(json(patched).at("title"), "Dune Messiah");
  EXPECT_EQ(json((*curl)("DELETE", "/books/1")), boost::json::parse(R"({"deleted":true})"));
  EXPECT_EQ((*curl)("GET", "/books/1").status, 404);
}

TEST_F(ShelfRoutes, QueryParametersSetScalarsRepeatedFieldsAndEnums) {
  add(R"({"title":"Dune","tags":["sf","classic"],"genre":"NOVEL"})");
  add(R"({"title":"Essays","tags":["classic"],"genre":"ESSAY"})");
  add(R"({"title":"Dune Messiah","tags":["sf"],"genre":"NOVEL"})");
  auto page = json((*curl)("GET", "/books?tags=sf&tags=classic"));
  ASSERT_EQ(page.at("books").as_array().size(), 1u);
  EXPECT_EQ(page.at("books").at(0).at("title"), "Dune");
  EXPECT_EQ(json((*curl)("GET", "/books?genre=NOVEL&limit=1")).at("next_after"), 1) << "an optional int64, as a number";
  EXPECT_EQ(json((*curl)("GET", "/books?genre=2")).at("books").at(0).at("title"), "Essays") << "an enum by number";
  EXPECT_EQ(json((*curl)("GET", "/books?title_prefix=Dune%20M")).at("books").at(0).at("title"), "Dune Messiah");
  EXPECT_EQ(json((*curl)("GET", "/books?title_prefix=%C3%A9")).at("books").as_array().size(), 0u) << "UTF-8 is fine";
  EXPECT_FALSE(json((*curl)("GET", "/books")).as_object().contains("next_after")) << "absent on the last page";
}

TEST_F(ShelfRoutes, BadPathAndQueryValuesAre400sNamingTheField) {
  const std::pair<const char*, const char*> cases[] = {
      {"/books/abc", "field \"id\": not an integer"},
      {"/books/99999999999999999999", "field \"id\": out of range"},
      {"/books/%zz", "path parameter \"id\": malformed %-escape"},
      {"/books?limit=ten", "field \"limit\": not an integer"},
      {"/books?genre=POEM", "field \"genre\": unknown value \"POEM\""},
      {"/books?colour=red", "unknown field \"colour\""},
      {"/books/1?id=2", "query parameter \"id\" is set by the path"},
      {"/books?limit=%4", "malformed %-escape in the query string"},
      {"/books?title_prefix=%C3%28", "field \"title_prefix\": not valid UTF-8"},  // proto3 strings are UTF-8
      {"/books?title_prefix=%ED%A0%80", "field \"title_prefix\": not valid UTF-8"},  // a surrogate
  };
  for (const auto& [target, want] : cases) {
    auto r = (*curl)("GET", target);
    EXPECT_EQ(r.status, 400) << target;
    EXPECT_NE(error(r).find(want), std::string::npos) << target << " → " << r.body;
  }
  std::string many = "/books?";
  for (int i = 0; i < 65; ++i) many += "tags=t&";
  EXPECT_NE(error((*curl)("GET", many)).find("more than 64 query parameters"), std::string::npos);
}

TEST_F(ShelfRoutes, BodiesStillNegotiateTheirFormatAndTheDefaultRouteStays) {
  add(R"({"title":"Dune"})");
  shelf::UpdateBookRequest u;
  u.set_title("by protobuf");
  auto r = (*curl)("PATCH", "/books/1", u.SerializeAsString(), "-H 'Content-Type: application/x-protobuf'");
  ASSERT_EQ(r.status, 200);
  shelf::Book b;
  ASSERT_TRUE(b.ParseFromString(r.body));
  EXPECT_EQ(b.id(), 1) << "the path's id, with the body's title";
  EXPECT_EQ(b.title(), "by protobuf");
  EXPECT_EQ((*curl)("PATCH", "/books/1", "<x/>", "-H 'Content-Type: application/xml'").status, 415);
  EXPECT_EQ(json((*curl)("POST", "/ping", R"({"note":"n"})")), boost::json::parse(R"({"pong":"pong n"})"));
}

TEST_F(ShelfRoutes, TheGeneratedHttpClientCallsTheDeclaredRoutes) {
  auto e = shelf::make_http_client("127.0.0.1:" + std::to_string(server->port()));
  auto call = [&](auto aw) { return svckit::test::run_on(io.context(0).get_executor(), std::move(aw)); };
  shelf::AddBookRequest add_req;
  add_req.set_title("Dune / Messiah?&=");
  add_req.add_tags("sf");
  auto added = call(e.add_book(svckit::Context{}, add_req));
  ASSERT_TRUE(added.ok()) << added.status();
  shelf::GetBookRequest get;
  get.set_id(added->id());
  auto got = call(e.get_book(svckit::Context{}, get));
  ASSERT_TRUE(got.ok()) << got.status();
  EXPECT_EQ(got->title(), "Dune / Messiah?&=");
  shelf::ListBooksRequest list;
  list.add_tags("sf");
  list.set_title_prefix("Dune / M");
  auto page = call(e.list_books(svckit::Context{}, list));
  ASSERT_TRUE(page.ok()) << page.status();
  ASSERT_EQ(page->books_size(), 1);
  EXPECT_EQ(svckit::http::route_target("/books", {{}, true}, list), "/books?tags=sf&title_prefix=Dune%20%2F%20M");
  list.set_genre(static_cast<shelf::Genre>(42));  // an open enum's unknown number travels as the number
  EXPECT_EQ(svckit::http::route_target("/books", {{}, true}, list), "/books?tags=sf&genre=42&title_prefix=Dune%20%2F%20M");
  auto gone = call(e.delete_book(svckit::Context{}, get));
  ASSERT_TRUE(gone.ok()) << gone.status();
  EXPECT_TRUE(gone->deleted());
}

}  // namespace
