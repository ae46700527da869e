// A Consul agent's HTTP API as svckit's consul:// backend uses it: one thread of its own, requests to the
// first host that answers (the next one after a transport failure).
#pragma once

#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>

#include "svckit/result.hpp"
#include "svckit/transport/http/message.hpp"

namespace svckit::sd::consul {

class Agent {
 public:
  explicit Agent(std::vector<std::string> hosts);
  ~Agent();
  Agent(const Agent&) = delete;
  Agent& operator=(const Agent&) = delete;

  /// The agent's thread: the coroutines of registrars and instancers run there.
  boost::asio::any_io_executor executor() const;

  struct Reply {
    unsigned status = 0;
    std::string body;
    std::string index;  // X-Consul-Index, "" when absent
  };
  /// One request, bounded by `timeout`; a Status only for transport failures (then the next host is next).
  boost::asio::awaitable<Result<Reply>> call(http::Verb verb, std::string target, std::string body,
                                             std::chrono::milliseconds timeout);

  struct Impl;

 private:
  std::unique_ptr<Impl> impl_;
};

}  // namespace svckit::sd::consul
