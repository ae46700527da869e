#include "svckit/debug.hpp"

#include <boost/json.hpp>

namespace svckit {

void add_debug_routes(http::Router& router, metrics::Registry& registry) {
  router.add(http::Verb::get, "/metrics", [&registry](http::Request&) -> boost::asio::awaitable<http::Response> {
    http::Response res{http::beast_http::status::ok, 11};
    res.set(http::beast_http::field::content_type, metrics::kExpositionContentType);
    res.body() = registry.expose();
    res.prepare_payload();
    co_return res;
  });
  router.add(http::Verb::get, "/healthz", [](http::Request&) -> boost::asio::awaitable<http::Response> {
    co_return http::json_response(200, R"({"status":"ok"})");
  });
}

std::shared_ptr<http::Server> serve_debug(Runner& runner, http::Router extra) {
  add_debug_routes(extra);
  extra.add(http::Verb::get, "/readyz", [&health = runner.health()](http::Request&) -> boost::asio::awaitable<http::Response> {
    auto r = health.report();
    boost::json::array failing;
    for (auto& f : r.failing) failing.emplace_back(f);
    boost::json::object body{{"status", r.ready ? "ready" : "not ready"}};
    if (!r.ready) body["failing"] = std::move(failing);
    co_return http::json_response(r.ready ? 200 : 503, boost::json::serialize(body));
  });
  auto server = std::make_shared<http::Server>(runner.io(), http::ServerOptions{.address = runner.options().debug_addr, .name = "debug"},
                                               std::move(extra));
  runner.add(server);
  runner.set_health_address([s = server.get()] { return s->address(); });
  return server;
}

}  // namespace svckit
