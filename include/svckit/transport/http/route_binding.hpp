// svckit/transport/http/route_binding.hpp — protobuf requests on REST routes: the fields a route's path and
// query string carry (routes declared with svckit/api/http.proto; protoc-gen-svckit writes these calls).
//
//   // GET /users/{id}?fields=email: id from the path, the rest from the query string
//   router.add(Verb::get, "/users/{id}", serve(get_user, {.body = false,
//                                                         .bind = route_binder<GetUserRequest>({{"id"}, true})}));
//   json_client<GetUserRequest, User>(client, Verb::get, "/users/{id}",
//                                     {.target = route_targeter<GetUserRequest>("/users/{id}", {{"id"}, true}), .body = false});
//
// Values are text: strings as they are, numbers in decimal, bool true/false, enums by name or number, bytes as
// base64 (json::proto_set_field_text). A query parameter may repeat for a repeated field.
#pragma once

#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "svckit/status.hpp"
#include "svckit/transport/http/message.hpp"

namespace google::protobuf {
class Message;
}

namespace svckit::http {

struct RouteFields {
  std::vector<std::string> path;  // the route's {field} segments
  bool query = false;             // the other fields come from the query string (a route without a body)
};

/// Sets `out`'s fields from r's path parameters and, with fields.query, its query string. INVALID_ARGUMENT
/// naming the parameter for a name the request has no field for (or one the path sets), a value its type
/// refuses, a malformed %-escape, more than 64 query parameters.
Status bind_route(const Request& r, const RouteFields& fields, google::protobuf::Message& out);

/// The target to call a route with: each {field} replaced by that field's value, %-escaped; with
/// fields.query, every other field that is set (non-default) as a query parameter.
std::string route_target(std::string_view pattern, const RouteFields& fields, const google::protobuf::Message& req);

template <class Req>
std::function<Status(const Request&, Req&)> route_binder(RouteFields fields) {
  return [f = std::move(fields)](const Request& r, Req& out) { return bind_route(r, f, out); };
}

template <class Req>
std::function<std::string(const Req&)> route_targeter(std::string pattern, RouteFields fields) {
  return [p = std::move(pattern), f = std::move(fields)](const Req& req) { return route_target(p, f, req); };
}

}  // namespace svckit::http
