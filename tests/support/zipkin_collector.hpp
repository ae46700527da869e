// Test support: a Zipkin collector on 127.0.0.1 — an svckit HTTP server accepting POST /api/v2/spans
// (Zipkin v2 JSON) and keeping the spans for the test to inspect. A stand-in for Zipkin itself, which is
// not packaged for Debian: it checks the same wire format a real collector accepts (a JSON array of span
// objects, 202 Accepted) and refuses anything else with 400.
#pragma once

#include <algorithm>
#include <chrono>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include <boost/json.hpp>

#include "svckit/io_pool.hpp"
#include "svckit/transport/http/server.hpp"

namespace svckit::test {

class ZipkinCollector {
 public:
  ZipkinCollector() {
    http::Router router;
    router.add(http::Verb::post, "/api/v2/spans", [this](http::Request& req) -> boost::asio::awaitable<http::Response> {
      boost::system::error_code ec;
      auto doc = boost::json::parse(req.msg.body(), ec);
      if (ec || !doc.is_array()) co_return http::json_response(400, R"({"error":"not a JSON array of spans"})");
      std::lock_guard lock(mu_);
      ++posts_;
      for (auto& s : doc.as_array()) {
        if (!s.is_object()) co_return http::json_response(400, R"({"error":"span is not an object"})");
        spans_.push_back(s.as_object());
      }
      co_return http::json_response(202, "");
    });
    server_ = std::make_shared<http::Server>(io_, http::ServerOptions{.address = "127.0.0.1:0"}, std::move(router));
    server_->start();
    io_.start();
  }
  ~ZipkinCollector() {
    server_->shutdown(std::chrono::steady_clock::now() + std::chrono::seconds(2));
    io_.stop();
    io_.join();
  }

  std::string url() const { return "http://127.0.0.1:" + std::to_string(server_->port()) + "/api/v2/spans"; }

  std::vector<boost::json::object> spans() const {
    std::lock_guard lock(mu_);
    return spans_;
  }
  int posts() const {
    std::lock_guard lock(mu_);
    return posts_;
  }
  /// The spans of one trace.
  std::vector<boost::json::object> trace(std::string_view trace_id) const {
    std::vector<boost::json::object> out;
    for (auto& s : spans())
      if (s.at("traceId").as_string() == trace_id) out.push_back(s);
    return out;
  }

 private:
  IoPool io_{1};
  std::shared_ptr<http::Server> server_;
  mutable std::mutex mu_;
  std::vector<boost::json::object> spans_;
  int posts_ = 0;
};

/// The one span with this kind and name, if any.
inline std::optional<boost::json::object> find_span(const std::vector<boost::json::object>& spans, std::string_view kind,
                                                    std::string_view name) {
  for (const auto& s : spans)
    if (s.at("kind").as_string() == kind && s.at("name").as_string() == name) return s;
  return std::nullopt;
}

inline std::string str(const boost::json::object& o, std::string_view key) {
  auto* v = o.if_contains(key);
  return v && v->is_string() ? std::string(v->as_string()) : std::string();
}

}  // namespace svckit::test
