// svckit/middleware/logging.hpp — logs one line per call: method, duration, outcome, request id.
//
// Request and response bodies are never logged: they carry personal data (emails, passwords). Successful
// calls are logged at Info, failures at Warn (client errors) or Error (server errors).
//
//   auto ep = svckit::chain(raw, svckit::middleware::Logging{svckit::log::Logger("users"), "create"});
#pragma once

#include <chrono>
#include <string>

#include "svckit/endpoint.hpp"
#include "svckit/log.hpp"
#include "svckit/stream_endpoint.hpp"

namespace svckit::middleware {

/// Writes the line for one finished call; shared by every Logging<Req,Resp> instantiation.
void log_call(const log::Logger& logger, const std::string& method, const Context& ctx, const Status& status,
              std::chrono::steady_clock::duration took);

struct Logging {
  log::Logger logger;
  std::string method;

  template <class Req, class Resp>
  Endpoint<Req, Resp> operator()(Endpoint<Req, Resp> next) const {
    return [logger = logger, method = method, next = std::move(next)](
               const Context& ctx, const Req& req) -> boost::asio::awaitable<Result<Resp>> {
      auto start = std::chrono::steady_clock::now();
      Result<Resp> r = co_await next(ctx, req);
      log_call(logger, method, ctx, r.status(), std::chrono::steady_clock::now() - start);
      co_return r;
    };
  }
  /// A server stream: one line when it ends, with its final status and how long it was open.
  template <class Req, class Resp>
  StreamEndpoint<Req, Resp> operator()(StreamEndpoint<Req, Resp> next) const {
    return [logger = logger, method = method, next = std::move(next)](
               const Context& ctx, const Req& req, StreamWriter<Resp>& out) -> boost::asio::awaitable<Status> {
      auto start = std::chrono::steady_clock::now();
      Status s = co_await next(ctx, req, out);
      log_call(logger, method, ctx, s, std::chrono::steady_clock::now() - start);
      co_return s;
    };
  }
  /// A client or bidirectional stream: the same, one line when it ends.
  template <class Req, class Resp>
  BidiEndpoint<Req, Resp> operator()(BidiEndpoint<Req, Resp> next) const {
    return [logger = logger, method = method, next = std::move(next)](
               const Context& ctx, StreamReader<Req>& in, StreamWriter<Resp>& out) -> boost::asio::awaitable<Status> {
      auto start = std::chrono::steady_clock::now();
      Status s = co_await next(ctx, in, out);
      log_call(logger, method, ctx, s, std::chrono::steady_clock::now() - start);
      co_return s;
    };
  }
};

}  // namespace svckit::middleware
