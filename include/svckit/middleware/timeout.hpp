// svckit/middleware/timeout.hpp — bounds how long an endpoint may take.
//
// Timeout{d} shortens the Context's deadline to now+d (never lengthens it) and enforces it: when the
// deadline passes first, the call is cancelled and DEADLINE_EXCEEDED returned. Transports enforce the
// deadline that arrives from the caller the same way (see run_with_deadline).
#pragma once

#include <chrono>

#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>

#include "svckit/endpoint.hpp"
#include "svckit/stream_endpoint.hpp"

namespace svckit {

namespace detail {
/// Awaits start() (an awaitable of R), or returns DEADLINE_EXCEEDED if ctx's deadline passes first (the
/// operation is then cancelled); `before`: the message when it has passed already.
template <class R, class Start>
boost::asio::awaitable<R> within_deadline(const Context& ctx, Start start, const char* before) {
  auto deadline = ctx.deadline();
  if (!deadline) co_return co_await start();
  if (ctx.expired()) co_return deadline_exceeded(before);
  using namespace boost::asio::experimental::awaitable_operators;
  boost::asio::steady_timer timer(co_await boost::asio::this_coro::executor, *deadline);
  auto winner = co_await (start() || timer.async_wait(boost::asio::use_awaitable));
  if (winner.index() == 0) co_return std::move(std::get<0>(winner));
  co_return deadline_exceeded("deadline exceeded");
}
}  // namespace detail

/// Runs next(ctx, req), or returns DEADLINE_EXCEEDED if ctx's deadline passes first. Without a deadline it
/// simply awaits next.
template <class Req, class Resp>
boost::asio::awaitable<Result<Resp>> run_with_deadline(const Endpoint<Req, Resp>& next, const Context& ctx,
                                                       const Req& req) {
  return detail::within_deadline<Result<Resp>>(ctx, [&next, &ctx, &req] { return next(ctx, req); },
                                               "deadline exceeded before the call started");
}

/// The same for a server stream: past the deadline the stream is cancelled (a write it waits in returns)
/// and DEADLINE_EXCEEDED ends it.
template <class Req, class Resp>
boost::asio::awaitable<Status> run_with_deadline(const StreamEndpoint<Req, Resp>& next, const Context& ctx, const Req& req,
                                                 StreamWriter<Resp>& out) {
  return detail::within_deadline<Status>(ctx, [&next, &ctx, &req, &out] { return next(ctx, req, out); },
                                         "deadline exceeded before the stream started");
}

/// The same for a client or bidirectional stream (a read or write it waits in returns).
template <class Req, class Resp>
boost::asio::awaitable<Status> run_with_deadline(const BidiEndpoint<Req, Resp>& next, const Context& ctx, StreamReader<Req>& in,
                                                 StreamWriter<Resp>& out) {
  return detail::within_deadline<Status>(ctx, [&next, &ctx, &in, &out] { return next(ctx, in, out); },
                                         "deadline exceeded before the stream started");
}

namespace middleware {

struct Timeout {
  std::chrono::steady_clock::duration timeout;

  template <class Req, class Resp>
  Endpoint<Req, Resp> operator()(Endpoint<Req, Resp> next) const {
    return [timeout = timeout, next = std::move(next)](const Context& ctx,
                                                       const Req& req) -> boost::asio::awaitable<Result<Resp>> {
      Context child = ctx;
      child.set_timeout(timeout);
      co_return co_await run_with_deadline(next, child, req);
    };
  }
  /// A server stream: the whole stream must end within the timeout (for long-lived streams, leave it to
  /// the caller's deadline instead).
  template <class Req, class Resp>
  StreamEndpoint<Req, Resp> operator()(StreamEndpoint<Req, Resp> next) const {
    return [timeout = timeout, next = std::move(next)](const Context& ctx, const Req& req,
                                                       StreamWriter<Resp>& out) -> boost::asio::awaitable<Status> {
      Context child = ctx;
      child.set_timeout(timeout);
      co_return co_await run_with_deadline(next, child, req, out);
    };
  }
  /// A client or bidirectional stream: the whole stream must end within the timeout.
  template <class Req, class Resp>
  BidiEndpoint<Req, Resp> operator()(BidiEndpoint<Req, Resp> next) const {
    return [timeout = timeout, next = std::move(next)](const Context& ctx, StreamReader<Req>& in,
                                                       StreamWriter<Resp>& out) -> boost::asio::awaitable<Status> {
      Context child = ctx;
      child.set_timeout(timeout);
      co_return co_await run_with_deadline(next, child, in, out);
    };
  }
};

}  // namespace middleware
}  // namespace svckit
