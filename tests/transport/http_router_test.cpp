#include "svckit/transport/http/router.hpp"

#include <gtest/gtest.h>

using namespace svckit::http;

namespace {
Handler h() {
  return [](Request&) -> boost::asio::awaitable<Response> { co_return Response{}; };
}
}  // namespace

TEST(Router, MatchesLiteralAndParameterRoutes) {
  Router r;
  r.add(Verb::get, "/users", h()).add(Verb::get, "/users/{id}", h()).add(Verb::get, "/users/{id}/bugs/{bug}", h());
  std::vector<std::pair<std::string, std::string>> params;
  EXPECT_NE(r.match(Verb::get, "/users", params).handler, nullptr);
  EXPECT_NE(r.match(Verb::get, "/users/", params).handler, nullptr);  // trailing slash tolerated
  auto m = r.match(Verb::get, "/users/42/bugs/7", params);
  ASSERT_NE(m.handler, nullptr);
  ASSERT_EQ(params.size(), 2u);
  EXPECT_EQ(params[0], (std::pair<std::string, std::string>{"id", "42"}));
  EXPECT_EQ(params[1], (std::pair<std::string, std::string>{"bug", "7"}));
}

TEST(Router, UnknownPathIs404) {
  Router r;
  r.add(Verb::get, "/users/{id}", h());
  std::vector<std::pair<std::string, std::string>> params;
  auto m = r.match(Verb::get, "/nope", params);
  EXPECT_EQ(m.handler, nullptr);
  EXPECT_EQ(m.status, 404u);
  EXPECT_EQ(r.match(Verb::get, "/users/1/extra", params).status, 404u);
}

TEST(Router, WrongMethodIs405WithAllow) {
  Router r;
  r.add(Verb::get, "/users", h()).add(Verb::post, "/users", h()).add(Verb::patch, "/bugs/{id}", h());
  std::vector<std::pair<std::string, std::string>> params;
  auto m = r.match(Verb::delete_, "/users", params);
  EXPECT_EQ(m.status, 405u);
  EXPECT_EQ(m.allow, "GET, POST");
  auto p = r.match(Verb::get, "/bugs/3", params);
  EXPECT_EQ(p.status, 405u);
  EXPECT_EQ(p.allow, "PATCH");
}

TEST(Router, RejectsBadPatternsAndDuplicates) {
  Router r;
  r.add(Verb::get, "/a/{id}", h());
  EXPECT_THROW(r.add(Verb::get, "/a/{x}", h()), std::invalid_argument);  // same shape, same method
  EXPECT_THROW(r.add(Verb::get, "no-slash", h()), std::invalid_argument);
  EXPECT_THROW(r.add(Verb::get, "/a/{bad", h()), std::invalid_argument);
  EXPECT_NO_THROW(r.add(Verb::post, "/a/{id}", h()));
}

TEST(Request, QueryValuesAndTheirDecoding) {
  svckit::http::Request r;
  r.msg.target("/bugs?limit=5&assignee=a%40b.c&q=two+words&empty=&bad=%4");
  EXPECT_EQ(r.path(), "/bugs");
  EXPECT_EQ(r.query("limit"), "5");
  EXPECT_EQ(r.query("missing"), "");
  EXPECT_EQ(svckit::http::url_decode(r.query("assignee")), "a@b.c");
  EXPECT_EQ(svckit::http::url_decode(r.query("q")), "two words");
  EXPECT_EQ(svckit::http::url_decode(r.query("empty")), "");
  EXPECT_EQ(svckit::http::url_decode(r.query("bad")), std::nullopt);
  EXPECT_EQ(svckit::http::url_decode("%zz"), std::nullopt);
}
