#include "transport.hpp"

#include "users.svckit.h"

namespace bugtracker::users {

namespace api = bugtracker::api::users;
using svckit::Context;
using svckit::Result;

namespace {

api::User view(const User& u) {
  api::User v;
  v.set_id(u.id);
  v.set_email(u.email);
  v.set_created_ms(u.created_ms);
  return v;
}

Result<api::User> view(Result<User> u) {
  if (!u.ok()) return u.status();
  return view(*u);
}

svckit::Status required(const char* field) { return svckit::invalid_argument("field \"" + std::string(field) + "\" is required"); }

// The generated interface over UsersService: wire messages in and out, the checks the wire needs (a field
// that must be given, an id that must be positive); the rules of accounts stay in the service.
class UsersApi final : public api::Service {
 public:
  explicit UsersApi(std::shared_ptr<UsersService> svc) : svc_(std::move(svc)) {}

  boost::asio::awaitable<Result<api::User>> create(const Context& ctx, const api::CreateRequest& r) override {
    if (r.email().empty()) co_return required("email");
    auto u = co_await svc_->create(ctx, r.email(), "");
    co_return view(std::move(u));
  }
  boost::asio::awaitable<Result<api::User>> create_user(const Context& ctx, const api::CreateUserRequest& r) override {
    if (r.email().empty()) co_return required("email");
    if (r.password().empty()) co_return required("password");  // no password is /create's account, not this one
    auto u = co_await svc_->create(ctx, r.email(), r.password());
    co_return view(std::move(u));
  }
  boost::asio::awaitable<Result<api::User>> get_user(const Context& ctx, const api::GetUserRequest& r) override {
    if (r.id() <= 0) co_return svckit::invalid_argument("user id must be a positive integer");
    auto u = co_await svc_->get(ctx, r.id());
    co_return view(std::move(u));
  }
  // No field checks: an empty email or password is a failed login like any other (401, throttled, same cost).
  boost::asio::awaitable<Result<api::Token>> login(const Context& ctx, const api::LoginRequest& r) override {
    auto t = co_await svc_->login(ctx, r.email(), r.password());
    if (!t.ok()) co_return t.status();
    api::Token token;
    token.set_token(std::move(*t));
    co_return token;
  }

 private:
  std::shared_ptr<UsersService> svc_;
};

}  // namespace

void add_http_routes(svckit::http::Router& router, std::shared_ptr<UsersService> svc, const EndpointOptions& limits) {
  auto e = api::make_endpoints(std::make_shared<UsersApi>(std::move(svc)));
  e.create = instrumented("users", limits, "create", std::move(e.create));
  e.create_user = instrumented("users", limits, "create_user", std::move(e.create_user));
  e.get_user = instrumented("users", limits, "get_user", std::move(e.get_user));
  e.login = instrumented("users", limits, "login", std::move(e.login));
  api::add_http_routes(router, e);  // the routes users.proto declares
  router.add(svckit::http::Verb::get, "/healthz", [](svckit::http::Request&) -> boost::asio::awaitable<svckit::http::Response> {
    co_return svckit::http::json_response(200, R"({"status":"ok"})");
  });
}

}  // namespace bugtracker::users
