// svckit/transport/http/serve.hpp — serving an Endpoint as an HTTP route.
//
//   router.add(Verb::post, "/uppercase", svckit::http::serve(uppercase_endpoint));
//   router.add(Verb::get, "/users/{id}", svckit::http::serve(get_user, {.decode = [](const Request& r)
//       -> svckit::Result<GetUser> { return GetUser{std::string(r.param("id"))}; }}));
//
// Bodies: the request body is decoded with json::Codec<Req> unless a decoder is given (path parameters,
// query strings); the response is encoded with json::Codec<Resp> (or the given encoder) and sent with
// success_status. Endpoints of protobuf messages also read and write protobuf binary: the request's
// Content-Type and Accept choose (content_type.hpp); an unsupported Content-Type is 415, an Accept that takes
// neither format 406. An error Status becomes the JSON error body with the mapped HTTP status. A deadline
// that arrived with the request (x-timeout-ms) is enforced: the endpoint is cancelled and 504 returned.
// A Req with no JSON form (no from_json, not a protobuf message) needs a decoder; without one the route
// answers 500 and says so. REST routes of protobuf requests set `bind` (path and query fields, after the
// body; route_binding.hpp) and, without a body, `body = false`; protoc-gen-svckit writes these for routes
// declared in the .proto.
#pragma once

#include <concepts>
#include <functional>
#include <string>

#include "svckit/codec/json.hpp"
#include "svckit/endpoint.hpp"
#include "svckit/middleware/timeout.hpp"
#include "svckit/transport/http/content_type.hpp"
#include "svckit/transport/http/router.hpp"

namespace svckit::http {

template <class Req, class Resp>
struct ServeOptions {
  std::function<Result<Req>(const Request&)> decode;  // default: the body, as Content-Type says
  std::function<std::string(const Resp&)> encode;     // default: JSON or protobuf, as Accept says; given: JSON
  unsigned success_status = 200;
  bool body = true;  // false: the request has no body (GET, DELETE); Req starts empty for `bind` to fill
  // After the body: sets what the path and query string carry (REST routes, route_binding.hpp).
  std::function<Status(const Request&, Req&)> bind;
  bool int64_as_number = false;  // protobuf replies: 64-bit integers as JSON numbers (json::ProtoJsonOptions)
};

namespace detail {

/// A protobuf message, recognised by its interface (so this header needs no protobuf include).
template <class T>
concept ProtobufMessage = requires(T& t, const T& c, const std::string& s) {
  { t.ParseFromString(s) } -> std::convertible_to<bool>;
  { c.SerializeAsString() } -> std::convertible_to<std::string>;
};
template <class T>
concept JsonDecodable = ProtobufMessage<T> || requires(json::ObjectReader& r, T& v) { from_json(r, v); };

/// 415 / 406 with the JSON error body naming what the route accepts.
Response unsupported_media_type(bool protobuf);
Response not_acceptable(bool protobuf);
/// A reply body in `format` (its Content-Type set).
Response body_response(unsigned status, BodyFormat format, std::string body);

template <class Req>
Result<Req> decode_body(const std::string& body, BodyFormat format) {
  if constexpr (ProtobufMessage<Req>) {
    if (format == BodyFormat::Protobuf) {
      Req out;
      if (!out.ParseFromString(body)) return invalid_argument("the body is not a valid protobuf message of the request's type");
      return out;
    }
  }
  if constexpr (JsonDecodable<Req>) {
    return json::Codec<Req>::decode(body);
  } else {
    return Status(StatusCode::Internal, "this route has no decoder for its request (ServeOptions::decode)");
  }
}

template <class Resp>
std::string encode_body(const Resp& v, BodyFormat format, bool int64_as_number) {
  if constexpr (ProtobufMessage<Resp>) {
    if (format == BodyFormat::Protobuf) return v.SerializeAsString();
    if (int64_as_number) return json::Codec<Resp>::encode(v, json::ProtoJsonOptions{.int64_as_number = true});
  }
  return json::Codec<Resp>::encode(v);
}

}  // namespace detail

template <class Req, class Resp>
Handler serve(Endpoint<Req, Resp> endpoint, ServeOptions<Req, Resp> options = {}) {
  return [endpoint = std::move(endpoint), o = std::move(options)](Request& r) -> boost::asio::awaitable<Response> {
    constexpr bool proto_in = detail::ProtobufMessage<Req>;
    const bool proto_out = detail::ProtobufMessage<Resp> && !o.encode;  // a given encoder writes JSON
    auto in = request_format(r.msg[beast_http::field::content_type], proto_in);
    if (!in) {
      if (!o.decode && o.body) co_return detail::unsupported_media_type(proto_in);
      in = BodyFormat::Json;  // a decoder of its own reads the request as it wants; no body, nothing to read
    }
    auto out = reply_format(r.msg[beast_http::field::accept], *in, proto_out);
    if (!out) co_return detail::not_acceptable(proto_out);
    Result<Req> req = o.decode ? o.decode(r) : o.body ? detail::decode_body<Req>(r.msg.body(), *in) : Result<Req>(Req{});
    if (req.ok() && o.bind)
      if (Status bound = o.bind(r, *req); !bound.ok()) req = bound;
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
    if (o.encode) co_return json_response(o.success_status, o.encode(*resp));
    co_return detail::body_response(o.success_status, *out, detail::encode_body(*resp, *out, o.int64_as_number));
  };
}

}  // namespace svckit::http
