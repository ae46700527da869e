// Test support: one request through svckit's HTTP client, on a private io_context.
#pragma once

#include <string>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/use_future.hpp>

#include "svckit/transport/http/client.hpp"

namespace svckit::test {

/// The io_context is declared before the client: pooled connections must die before their io_context.
inline Result<http::Response> http_request(unsigned short port, http::Verb verb, const std::string& target,
                                           const std::string& body = {}) {
  boost::asio::io_context io;
  http::Client client("127.0.0.1", port);
  const Context ctx;  // request() keeps a reference until it completes
  auto fut = boost::asio::co_spawn(io, client.request(ctx, verb, target, body), boost::asio::use_future);
  io.run();
  return fut.get();
}

}  // namespace svckit::test
