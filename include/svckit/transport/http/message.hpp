// svckit/transport/http/message.hpp — the request and response types HTTP handlers see.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <boost/beast/http/message.hpp>
#include <boost/beast/http/string_body.hpp>

#include "svckit/context.hpp"
#include "svckit/status.hpp"

namespace svckit::http {

namespace beast_http = boost::beast::http;
using Verb = beast_http::verb;
using Response = beast_http::response<beast_http::string_body>;

/// Header names svckit uses to carry the Context across HTTP hops.
inline constexpr std::string_view kRequestIdHeader = "x-request-id";
/// Time left, in milliseconds, before the caller gives up; relative so that clock skew does not matter.
inline constexpr std::string_view kTimeoutHeader = "x-timeout-ms";

/// One incoming request: the Beast message, the path parameters the route matched, and the Context built
/// from its headers. Owned by the connection; valid until the handler's awaitable completes.
struct Request {
  beast_http::request<beast_http::string_body> msg;
  std::vector<std::pair<std::string, std::string>> params;
  Context ctx;

  /// A path parameter ({id} in "/users/{id}"), or empty.
  std::string_view param(std::string_view name) const {
    for (const auto& [k, v] : params)
      if (k == name) return v;
    return {};
  }
  /// The path without the query string.
  std::string_view path() const;
  /// A query parameter's raw value (?page=2 → "2"), or empty; see url_decode for escaped values.
  std::string_view query(std::string_view name) const;
};

/// Percent-decodes a query value ("a%40b.c" → "a@b.c", '+' → ' '; a path segment keeps '+': plus_is_space
/// false); nullopt for a malformed escape.
std::optional<std::string> url_decode(std::string_view s, bool plus_is_space = true);

/// A response with a JSON body.
Response json_response(unsigned status, std::string body);
/// A response carrying a Status as the svckit JSON error body, with its mapped HTTP status.
Response error_response(const Status& s);

}  // namespace svckit::http
