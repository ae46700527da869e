#include "transport.hpp"

#include <charconv>

#include <boost/json.hpp>

#include "svckit/transport/http/message.hpp"

namespace bugtracker::notificator {

void add_debug_routes(svckit::http::Router& router, std::shared_ptr<Outbox> outbox, svckit::BlockingPool& pool) {
  router.add(svckit::http::Verb::get, "/outbox",
             [outbox, &pool](svckit::http::Request& req) -> boost::asio::awaitable<svckit::http::Response> {
               int limit = 100;
               auto q = req.query("limit");
               if (!q.empty()) {
                 auto [p, ec] = std::from_chars(q.data(), q.data() + q.size(), limit);
                 if (ec != std::errc() || p != q.data() + q.size() || limit < 1 || limit > 10000)
                   co_return svckit::http::error_response(svckit::invalid_argument("limit must be 1..10000"));
               }
               auto messages = co_await svckit::run_blocking(pool, [&] { return outbox->list(limit); });
               boost::json::array arr;
               for (const auto& m : messages)
                 arr.push_back({{"id", m.id}, {"email", m.email}, {"content", m.content}, {"state", m.state},
                                {"attempts", m.attempts}, {"created_ms", m.created_ms}, {"last_error", m.last_error}});
               co_return svckit::http::json_response(200, boost::json::serialize(boost::json::object{{"messages", arr}}));
             });
}

}  // namespace bugtracker::notificator
