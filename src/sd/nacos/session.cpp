#include "session.hpp"

#include "../url_query.hpp"
#include "instances.hpp"

namespace svckit::sd::nacos {

namespace asio = boost::asio;
using Clock = std::chrono::steady_clock;

Session::Session(std::shared_ptr<http::ApiClient> client, std::string base, std::string username, std::string password)
    : base_(std::move(base)), username_(std::move(username)), password_(std::move(password)), client_(std::move(client)) {}

asio::awaitable<Status> Session::login(std::chrono::milliseconds timeout) {
  const std::string form = "username=" + detail::percent_encode(username_) + "&password=" + detail::percent_encode(password_);
  auto r = co_await client_->call(http::Verb::post, base_ + "/v1/auth/login", form, timeout, "application/x-www-form-urlencoded");
  if (!r.ok()) co_return r.status();
  if (r->status != 200) co_return unauthenticated("nacos login as " + username_.substr(0, 64) + ": HTTP " + std::to_string(r->status) + " " + r->body.substr(0, 200));
  auto answer = parse_login(r->body);
  if (!answer.ok()) co_return unavailable(answer.status().message());
  token_ = std::move(answer->token);
  // Renewed at 90% of its life (at least a second; Nacos's default is 5 hours).
  renew_at_ = Clock::now() + std::max<std::chrono::milliseconds>(std::chrono::seconds(1), answer->ttl * 9 / 10);
  co_return Status();
}

asio::awaitable<Result<http::ApiClient::Reply>> Session::call(http::Verb verb, std::string target, std::chrono::milliseconds timeout) {
  if (username_.empty()) co_return co_await client_->call(verb, std::move(target), "", timeout);
  for (int attempt = 0;; ++attempt) {
    if (token_.empty() || Clock::now() >= renew_at_)
      if (Status s = co_await login(timeout); !s.ok()) co_return s;
    auto r = co_await client_->call(verb, target + "&accessToken=" + detail::percent_encode(token_), "", timeout);
    if (!r.ok() || r->status != 403 || attempt == 1) co_return r;
    token_.clear();  // expired or revoked: log in again, once
  }
}

}  // namespace svckit::sd::nacos
