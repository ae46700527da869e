// svckit/endpoint.hpp — one operation of a service, as a function the transports and middleware share.
//
// An Endpoint is an asynchronous function: it returns an awaitable, so an endpoint that waits on a
// downstream call or a timer suspends its coroutine and holds no thread. Both gRPC and HTTP servers serve
// the same Endpoint; client transports produce Endpoints too, so middleware (logging, retry, …) wraps
// either side the same way.
//
//   svckit::Endpoint<UppercaseRequest, UppercaseReply> ep =
//       [svc](const svckit::Context& ctx, const UppercaseRequest& req)
//           -> boost::asio::awaitable<svckit::Result<UppercaseReply>> { co_return svc->uppercase(ctx, req); };
//
// Ownership: an Endpoint is a copyable std::function; what it captures must outlive the calls made to it.
// The Context and request passed by reference stay alive until the returned awaitable completes.
#pragma once

#include <functional>

#include <boost/asio/awaitable.hpp>

#include "svckit/context.hpp"
#include "svckit/result.hpp"

namespace svckit {

template <class Req, class Resp>
using Endpoint = std::function<boost::asio::awaitable<Result<Resp>>(const Context&, const Req&)>;

}  // namespace svckit
