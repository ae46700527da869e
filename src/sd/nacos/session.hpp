// Requests to Nacos's naming API, logged in when the URL gives credentials: POST /v1/auth/login (username,
// password) answers an accessToken valid for tokenTtl seconds; every request carries it as accessToken=…;
// a 403 means it expired or was revoked, so the session logs in again and asks once more. Without
// credentials, requests go as they are. Runs on the client's thread (no locks).
#pragma once

#include <chrono>
#include <memory>
#include <string>

#include <boost/asio/awaitable.hpp>

#include "../../transport/http/api_client.hpp"

namespace svckit::sd::nacos {

class Session {
 public:
  /// `base` is the server's context path ("/nacos"); empty `username`: no auth.
  Session(std::shared_ptr<http::ApiClient> client, std::string base, std::string username, std::string password);

  http::ApiClient& client() { return *client_; }

  /// One request; `target` already has a query string ('?'), to which the token is added.
  boost::asio::awaitable<Result<http::ApiClient::Reply>> call(http::Verb verb, std::string target,
                                                              std::chrono::milliseconds timeout);

 private:
  boost::asio::awaitable<Status> login(std::chrono::milliseconds timeout);

  std::string base_, username_, password_;
  std::string token_;
  std::chrono::steady_clock::time_point renew_at_;
  // Last, so destroyed first: the client's destructor stops and joins the thread whose calls read the fields
  // above (declared first, a call in flight read a freed token_ while the session was being destroyed).
  std::shared_ptr<http::ApiClient> client_;
};

}  // namespace svckit::sd::nacos
