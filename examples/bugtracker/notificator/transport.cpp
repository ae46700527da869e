#include "transport.hpp"

#include <charconv>
#include <chrono>
#include <optional>

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

// The debug routes' guard: 403 while /outbox is off (no token), 401 without the token.
std::optional<svckit::http::Response> refuse(const svckit::http::Request& req, const std::string& token) {
  if (token.empty())
    return svckit::http::error_response(svckit::permission_denied(
        "/outbox is off: start notificator with --outbox-token (or $NOTIFICATOR_OUTBOX_TOKEN)"));
  if (!same_secret(req.msg[boost::beast::http::field::authorization], "Bearer " + token))
    return svckit::http::error_response(
        svckit::Status(svckit::StatusCode::Unauthenticated, "/outbox needs Authorization: Bearer <--outbox-token>"));
  return std::nullopt;
}

std::int64_t now_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch()).count();
}

}  // namespace

void add_debug_routes(svckit::http::Router& router, std::shared_ptr<Outbox> outbox, svckit::BlockingPool& pool,
                      std::string token, std::function<void()> on_redriven) {
  router.add(svckit::http::Verb::get, "/outbox",
             [outbox, &pool, token](svckit::http::Request& req) -> boost::asio::awaitable<svckit::http::Response> {
               if (auto refused = refuse(req, token)) co_return std::move(*refused);
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
  router.add(svckit::http::Verb::post, "/outbox/redrive",
             [outbox, &pool, token, on_redriven](svckit::http::Request& req) -> boost::asio::awaitable<svckit::http::Response> {
               if (auto refused = refuse(req, token)) co_return std::move(*refused);
               const int n = co_await svckit::run_blocking(pool, [&] { return outbox->redrive_dead(now_ms()); });
               if (n > 0 && on_redriven) on_redriven();
               co_return svckit::http::json_response(200, boost::json::serialize(boost::json::object{{"redriven", n}}));
             });
}

}  // namespace bugtracker::notificator
