// The HTTP API of a registry served by several hosts (Consul agents, Eureka or Nacos servers), asked from one
// thread of its own: requests go to the host that answered last, the next one after a transport failure.
// Internal to svckit's HTTP-based registries (consul://, eureka://, nacos://).
#pragma once

#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>

#include "svckit/result.hpp"
#include "svckit/transport/http/message.hpp"

namespace svckit::http {

class ApiClient {
 public:
  /// `name` is what errors call the API ("consul", "eureka"); hosts are host:port each (at least one);
  /// `authorization`, when not empty, is sent as the Authorization header of every request.
  ApiClient(std::string name, std::vector<std::string> hosts, std::string authorization = {});
  ~ApiClient();
  ApiClient(const ApiClient&) = delete;
  ApiClient& operator=(const ApiClient&) = delete;

  /// The client's thread: the coroutines of registrars and instancers run there.
  boost::asio::any_io_executor executor() const;

  struct Reply {
    unsigned status = 0;
    std::string body;
    beast_http::fields headers;
  };
  /// One request (Accept: application/json; a body is sent as `content_type`), bounded by `timeout`; a Status
  /// only for transport failures (then the next host is next). Answers over 4 MiB are transport failures.
  boost::asio::awaitable<Result<Reply>> call(Verb verb, std::string target, std::string body,
                                             std::chrono::milliseconds timeout,
                                             std::string_view content_type = "application/json");

  struct Impl;

 private:
  std::unique_ptr<Impl> impl_;
};

}  // namespace svckit::http
