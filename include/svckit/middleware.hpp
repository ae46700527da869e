// svckit/middleware.hpp — decorating endpoints, and the order decorators run in.
//
// A middleware takes an Endpoint and returns an Endpoint that does something before and/or after calling
// it. chain(ep, a, b, c) returns a(b(c(ep))): the FIRST middleware listed is the OUTERMOST, so it sees the
// request first and the response last — the same order as go-kit's endpoint.Chain. A typical server order:
//
//   auto ep = svckit::chain(raw, svckit::middleware::Logging{log, "uppercase"},   // sees everything
//                                svckit::middleware::Timeout{std::chrono::seconds(2)});
//
// Any callable Endpoint<Req,Resp> → Endpoint<Req,Resp> works as a middleware, including generic function
// objects with a templated call operator (how svckit's own middleware are written, so they fit every
// endpoint type). Streaming endpoints (StreamEndpoint, BidiEndpoint) chain the same way; svckit's Logging,
// Metrics and Timeout have an overload for each.
#pragma once

#include <functional>
#include <tuple>
#include <utility>

#include "svckit/endpoint.hpp"
#include "svckit/stream_endpoint.hpp"

namespace svckit {

template <class Req, class Resp>
using Middleware = std::function<Endpoint<Req, Resp>(Endpoint<Req, Resp>)>;

namespace detail {
/// ms applied right to left, so that the leftmost ends up outermost.
template <class E, class... Ms>
E apply_middleware(E ep, Ms&&... ms) {
  E result = std::move(ep);
  auto apply = [&result](auto&& m) { result = m(std::move(result)); };
  [&]<std::size_t... I>(std::index_sequence<I...>, auto&& tuple) {
    (apply(std::get<sizeof...(Ms) - 1 - I>(tuple)), ...);
  }(std::index_sequence_for<Ms...>{}, std::forward_as_tuple(std::forward<Ms>(ms)...));
  return result;
}
}  // namespace detail

/// Wraps ep in the given middleware; the first one listed runs first (outermost).
template <class Req, class Resp, class... Ms>
Endpoint<Req, Resp> chain(Endpoint<Req, Resp> ep, Ms&&... ms) {
  return detail::apply_middleware(std::move(ep), std::forward<Ms>(ms)...);
}

/// The same for a server-streaming endpoint (svckit/stream_endpoint.hpp): svckit's middleware have an
/// overload for each kind.
template <class Req, class Resp, class... Ms>
StreamEndpoint<Req, Resp> chain(StreamEndpoint<Req, Resp> ep, Ms&&... ms) {
  return detail::apply_middleware(std::move(ep), std::forward<Ms>(ms)...);
}

/// The same for a client- or bidirectional-streaming endpoint.
template <class Req, class Resp, class... Ms>
BidiEndpoint<Req, Resp> chain(BidiEndpoint<Req, Resp> ep, Ms&&... ms) {
  return detail::apply_middleware(std::move(ep), std::forward<Ms>(ms)...);
}

}  // namespace svckit
