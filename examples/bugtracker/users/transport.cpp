#include "transport.hpp"

#include <charconv>

#include "svckit/codec/json.hpp"
#include "svckit/middleware.hpp"
#include "middleware.hpp"
#include "svckit/transport/http/serve.hpp"

namespace bugtracker::users {

using svckit::Context;
using svckit::Result;
using Verb = svckit::http::Verb;

// Wire types: strict JSON (unknown fields are an error).
struct CreateRequest {
  std::string email;
};
void from_json(svckit::json::ObjectReader& r, CreateRequest& v) { r.required("email", v.email); }

struct AccountRequest {  // POST /users and POST /login
  std::string email, password;
};
void from_json(svckit::json::ObjectReader& r, AccountRequest& v) {
  r.required("email", v.email);
  r.required("password", v.password);
}

struct GetRequest {  // from the path
  std::int64_t id = 0;
};

struct UserView {
  std::int64_t id = 0;
  std::string email;
  std::int64_t created_ms = 0;
};
void to_json(boost::json::object& o, const UserView& v) {
  o["id"] = v.id;
  o["email"] = v.email;
  o["created_ms"] = v.created_ms;
}

struct TokenView {
  std::string token;
};
void to_json(boost::json::object& o, const TokenView& v) { o["token"] = v.token; }

namespace {

UserView view(const User& u) { return {u.id, u.email, u.created_ms}; }


}  // namespace

void add_http_routes(svckit::http::Router& router, std::shared_ptr<UsersService> svc, const EndpointOptions& limits) {
  auto create = instrumented<CreateRequest, UserView>(
      "users", limits, "create", [svc](const Context& ctx, const CreateRequest& r) -> boost::asio::awaitable<Result<UserView>> {
        auto u = co_await svc->create(ctx, r.email, "");
        if (!u.ok()) co_return u.status();
        co_return view(*u);
      });
  auto create_account = instrumented<AccountRequest, UserView>(
      "users", limits, "create_user", [svc](const Context& ctx, const AccountRequest& r) -> boost::asio::awaitable<Result<UserView>> {
        auto u = co_await svc->create(ctx, r.email, r.password);
        if (!u.ok()) co_return u.status();
        co_return view(*u);
      });
  auto get = instrumented<GetRequest, UserView>(
      "users", limits, "get_user", [svc](const Context& ctx, const GetRequest& r) -> boost::asio::awaitable<Result<UserView>> {
        auto u = co_await svc->get(ctx, r.id);
        if (!u.ok()) co_return u.status();
        co_return view(*u);
      });
  auto login = instrumented<AccountRequest, TokenView>(
      "users", limits, "login", [svc](const Context& ctx, const AccountRequest& r) -> boost::asio::awaitable<Result<TokenView>> {
        auto t = co_await svc->login(ctx, r.email, r.password);
        if (!t.ok()) co_return t.status();
        co_return TokenView{*t};
      });

  router.add(Verb::post, "/create", svckit::http::serve(create, {.success_status = 201}));
  router.add(Verb::post, "/users", svckit::http::serve(create_account, {.success_status = 201}));
  router.add(Verb::get, "/users/{id}",
             svckit::http::serve(get, {.decode = [](const svckit::http::Request& r) -> Result<GetRequest> {
                                   auto s = r.param("id");
                                   GetRequest g;
                                   auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), g.id);
                                   if (ec != std::errc() || p != s.data() + s.size() || g.id <= 0)
                                     return svckit::invalid_argument("user id must be a positive integer");
                                   return g;
                                 }}));
  router.add(Verb::post, "/login", svckit::http::serve(login));
  router.add(Verb::get, "/healthz", [](svckit::http::Request&) -> boost::asio::awaitable<svckit::http::Response> {
    co_return svckit::http::json_response(200, R"({"status":"ok"})");
  });
}

}  // namespace bugtracker::users
