// The HTTP API of a registry served by several hosts (Consul agents, Eureka or Nacos servers), asked from one
// thread of its own: requests go to the host that answered last, the next one after a transport failure.
// Internal to svckit's HTTP-based registries (consul://, eureka://, nacos://).
#pragma once

#include <chrono>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>

#include "svckit/result.hpp"
#include "svckit/tls.hpp"
#include "svckit/transport/http/message.hpp"

namespace svckit::http {

class ApiClient {
 public:
  /// Header fields sent with every request (credentials: Authorization, X-Consul-Token).
  using Headers = std::vector<std::pair<std::string, std::string>>;
  /// `name` is what errors call the API ("consul", "eureka"); hosts are host:port each (at least one);
  /// `tls`, when set, makes it HTTPS (the servers' certificates verified as http::Client does).
  ApiClient(std::string name, std::vector<std::string> hosts, Headers headers = {},
            std::shared_ptr<const tls::Credentials> tls = nullptr);
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
