#include "transport.hpp"

#include <charconv>

#include <boost/json.hpp>

#include "svckit/transport/http/message.hpp"

namespace bugtracker::notificator {

namespace {

// Compares in time that depends on the lengths only, so a caller cannot find the token byte by byte.
bool same_secret(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  unsigned char diff = 0;
  for (std::size_t i = 0; i < a.size(); ++i) diff |= static_cast<unsigned char>(a[i] ^ b[i]);
  return diff == 0;
}

}  // namespace

void add_debug_routes(svckit::http::Router& router, std::shared_ptr<Outbox> outbox, svckit::BlockingPool& pool,
                      std::string token) {
  router.add(svckit::http::Verb::get, "/outbox",
             [outbox, &pool, token](svckit::http::Request& req) -> boost::asio::awaitable<svckit::http::Response> {
               if (token.empty())
                 co_return svckit::http::error_response(svckit::permission_denied(
                     "/outbox is off: start notificator with --outbox-token (or $NOTIFICATOR_OUTBOX_TOKEN)"));
               if (!same_secret(req.msg[boost::beast::http::field::authorization], "Bearer " + token))
                 co_return svckit::http::error_response(
                     svckit::Status(svckit::StatusCode::Unauthenticated, "/outbox needs Authorization: Bearer <--outbox-token>"));
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
