// svckit/transport/http/serve.hpp — serving an Endpoint as an HTTP/JSON route.
//
//   router.add(Verb::post, "/uppercase", svckit::http::serve(uppercase_endpoint));
//   router.add(Verb::get, "/users/{id}", svckit::http::serve(get_user, {.decode = [](const Request& r)
//       -> svckit::Result<GetUser> { return GetUser{std::string(r.param("id"))}; }}));
//
// The request body is decoded with json::Codec<Req> unless a decoder is given (path parameters, query
// strings); the response is encoded with json::Codec<Resp> and sent with success_status. An error Status
// becomes the JSON error body with the mapped HTTP status. A deadline that arrived with the request
// (x-timeout-ms) is enforced: the endpoint is cancelled and 504 returned when it passes.
#pragma once

#include <functional>

#include "svckit/codec/json.hpp"
#include "svckit/endpoint.hpp"
#include "svckit/middleware/timeout.hpp"
#include "svckit/transport/http/router.hpp"

namespace svckit::http {

template <class Req, class Resp>
struct ServeOptions {
  std::function<Result<Req>(const Request&)> decode;  // default: json::Codec<Req>::decode(body)
  std::function<std::string(const Resp&)> encode;     // default: json::Codec<Resp>::encode
  unsigned success_status = 200;
};

template <class Req, class Resp>
Handler serve(Endpoint<Req, Resp> endpoint, ServeOptions<Req, Resp> options = {}) {
  if (!options.decode)
    options.decode = [](const Request& r) { return json::Codec<Req>::decode(r.msg.body()); };
  if (!options.encode) options.encode = [](const Resp& v) { return json::Codec<Resp>::encode(v); };
  return [endpoint = std::move(endpoint), o = std::move(options)](Request& r) -> boost::asio::awaitable<Response> {
    Result<Req> req = o.decode(r);
    if (!req.ok()) co_return error_response(req.status());
    // Without a deadline there is nothing to race: call the endpoint directly (one coroutine frame less).
    // (if/else, not ?: — GCC 12 miscompiles co_await inside a conditional expression.)
    Result<Resp> resp;
    if (r.ctx.deadline()) {
      resp = co_await run_with_deadline(endpoint, r.ctx, *req);
    } else {
      resp = co_await endpoint(r.ctx, *req);
    }
    if (!resp.ok()) co_return error_response(resp.status());
    co_return json_response(o.success_status, o.encode(*resp));
  };
}

}  // namespace svckit::http
