// svckit/transport/http/router.hpp — maps method + path to a handler, with {param} path segments.
//
//   router.add(Verb::get, "/users/{id}", handler);   // req.param("id")
//
// An unknown path answers 404; a known path with another method answers 405 with an Allow header.
// Thread-safety: add routes before the server starts; matching is then read-only and thread-safe.
#pragma once

#include <functional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include <boost/asio/awaitable.hpp>

#include "svckit/transport/http/message.hpp"

namespace svckit::http {

using Handler = std::function<boost::asio::awaitable<Response>(Request&)>;

class Router {
 public:
  /// Adds a route; a pattern's segments are literals or {name}. Throws std::invalid_argument on a
  /// malformed pattern or a duplicate route.
  Router& add(Verb method, std::string_view pattern, Handler handler);

  struct Match {
    const Handler* handler = nullptr;  // null: see status
    unsigned status = 200;             // 404 or 405 when handler is null
    std::string allow;                 // for 405: the methods the path accepts
    const std::string* route = nullptr;  // the matched route, "POST /users/{id}" (span and metric names)
  };
  /// Finds the handler for method and path, filling params.
  Match match(Verb method, std::string_view path, std::vector<std::pair<std::string, std::string>>& params) const;

 private:
  struct Route {
    Verb method;
    std::vector<std::string> segments;  // "{x}" marks a parameter
    Handler handler;
    std::string name;  // "POST /users/{id}"
  };
  // Literal paths are found by hash; patterns with parameters are tried in order.
  std::unordered_map<std::string, std::vector<std::size_t>> literal_;
  std::vector<std::size_t> patterned_;
  std::vector<Route> routes_;
};

}  // namespace svckit::http
