// svckit/middleware/rate_limit.hpp — a token bucket per endpoint: bursts up to `burst`, `per_second` sustained.
//
//   auto ep = svckit::chain(raw, svckit::middleware::Metrics{"users", "create"},
//                                svckit::middleware::RateLimit{.per_second = 500, .burst = 100});
//
// A call that finds the bucket empty is refused at once with RESOURCE_EXHAUSTED — HTTP 429 — carrying
// when a token will be there again (Status::retry_after → Retry-After / grpc-retry-pushback-ms). It never
// waits: queueing would only move the overload into latency. One bucket is shared by every call of the
// wrapped endpoint, whichever transport and thread it comes from.
#pragma once

#include <chrono>
#include <memory>
#include <atomic>
#include <cstdint>

#include "svckit/endpoint.hpp"
#include "svckit/stream_endpoint.hpp"

namespace svckit::middleware {

/// A token bucket kept as one atomic number (the "generic cell rate algorithm"): the time at which the
/// bucket would be full again. No lock, so io threads sharing a limit never wait for each other.
class TokenBucket {
 public:
  using Clock = std::chrono::steady_clock;
  /// Starts full. per_second > 0, burst >= 1.
  TokenBucket(double per_second, double burst);
  /// Takes a token if there is one; otherwise returns false and sets *wait to when one will be there.
  bool take(Clock::time_point now, Clock::duration* wait);
  /// Whether take() would succeed now, without taking; if not, sets *wait as take() would.
  bool available(Clock::time_point now, Clock::duration* wait) const;
  /// Every token is back: the bucket is as if never drawn (a keyed limiter may forget it).
  bool full(Clock::time_point now) const;
  /// When every token is back (in the past for a full bucket): a keyed limiter that must forget some
  /// buckets forgets those full soonest, which loses the least.
  Clock::time_point full_at() const;

 private:
  std::int64_t interval_ns_;   // time one token takes to come back
  std::int64_t tolerance_ns_;  // (burst - 1) intervals: how far ahead of now the bucket may be drawn
  std::atomic<std::int64_t> full_at_;  // ns since the clock's epoch: when every token is back
};

struct RateLimit {
  double per_second = 100;
  double burst = 100;

  template <class Req, class Resp>
  Endpoint<Req, Resp> operator()(Endpoint<Req, Resp> next) const {
    auto bucket = std::make_shared<TokenBucket>(per_second, burst);
    // Not a coroutine itself: an admitted call returns next's awaitable as is, so the limit adds no
    // coroutine frame (an allocation and two resumptions) to every call; only a refusal makes one.
    return [bucket, next = std::move(next)](const Context& ctx, const Req& req) -> boost::asio::awaitable<Result<Resp>> {
      TokenBucket::Clock::duration wait{};
      if (!bucket->take(TokenBucket::Clock::now(), &wait)) return refuse<Resp>(rate_limited(wait));
      return next(ctx, req);
    };
  }

  /// A server stream takes one token when it starts (its messages take none).
  template <class Req, class Resp>
  StreamEndpoint<Req, Resp> operator()(StreamEndpoint<Req, Resp> next) const {
    auto bucket = std::make_shared<TokenBucket>(per_second, burst);
    return [bucket, next = std::move(next)](const Context& ctx, const Req& req,
                                            StreamWriter<Resp>& out) -> boost::asio::awaitable<Status> {
      TokenBucket::Clock::duration wait{};
      if (!bucket->take(TokenBucket::Clock::now(), &wait)) return refuse_stream(rate_limited(wait));
      return next(ctx, req, out);
    };
  }
  /// A client or bidirectional stream likewise: one token when it starts.
  template <class Req, class Resp>
  BidiEndpoint<Req, Resp> operator()(BidiEndpoint<Req, Resp> next) const {
    auto bucket = std::make_shared<TokenBucket>(per_second, burst);
    return [bucket, next = std::move(next)](const Context& ctx, StreamReader<Req>& in,
                                            StreamWriter<Resp>& out) -> boost::asio::awaitable<Status> {
      TokenBucket::Clock::duration wait{};
      if (!bucket->take(TokenBucket::Clock::now(), &wait)) return refuse_stream(rate_limited(wait));
      return next(ctx, in, out);
    };
  }
  /// The refusal: RESOURCE_EXHAUSTED with the wait as retry_after (at least 1 ms).
  static Status rate_limited(TokenBucket::Clock::duration wait);

 private:
  static boost::asio::awaitable<Status> refuse_stream(Status status) { co_return status; }
  template <class Resp>
  static boost::asio::awaitable<Result<Resp>> refuse(Status status) {
    co_return status;
  }
};

}  // namespace svckit::middleware
