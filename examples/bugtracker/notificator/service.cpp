#include "service.hpp"

#include <algorithm>
#include <chrono>
#include <map>
#include <optional>

#include <boost/asio/this_coro.hpp>

#include "../common/email.hpp"
#include "svckit/log.hpp"
#include "svckit/metadata.hpp"

namespace bugtracker::notificator {

namespace {
constexpr std::size_t kMaxContent = 64 * 1024;
constexpr int kMaxWatchedIds = 100;
std::int64_t now_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch()).count();
}
}  // namespace

NotificatorService::NotificatorService(std::shared_ptr<Outbox> outbox, svckit::BlockingPool& pool,
                                       std::function<void()> stored, std::shared_ptr<DeliveryFeed> feed)
    : outbox_(std::move(outbox)), feed_(std::move(feed)), pool_(pool), stored_(std::move(stored)) {}

boost::asio::awaitable<svckit::Result<pb::SendEmailReply>> NotificatorService::send_email(
    const svckit::Context& ctx, const pb::SendEmailRequest& request) {
  if (auto why = email_problem(request.email()); !why.empty()) co_return svckit::invalid_argument(why);
  if (request.content().empty()) co_return svckit::invalid_argument("content is required");
  if (request.content().size() > kMaxContent) co_return svckit::invalid_argument("content is longer than 64 KiB");
  if (!request.idempotency_key().empty() && !svckit::valid_request_id(request.idempotency_key()))
    co_return svckit::invalid_argument("idempotency_key must be 1 to 128 visible ASCII characters");
  OutboxMessage m;
  m.idempotency_key = request.idempotency_key();
  m.id = new_uuid();
  m.email = request.email();
  m.content = request.content();
  m.created_ms = m.next_attempt_ms = now_ms();
  auto stored = co_await svckit::run_blocking(pool_, [&]() -> svckit::Status {
    try {
      m.id = outbox_->add(m);  // a key seen before: the first message's id, nothing stored
      return {};
    } catch (const std::exception& e) {
      return svckit::unavailable(std::string("outbox write failed: ") + e.what());
    }
  });
  if (!stored.ok()) {
    svckit::log::Logger("notificator").error("outbox write failed", {{"error", stored.message()}, {"request_id", ctx.request_id()}});
    co_return stored;
  }
  if (stored_) stored_();
  pb::SendEmailReply reply;
  reply.set_id(std::move(m.id));
  co_return reply;
}

namespace {
pb::Delivery to_delivery(const DeliveryState& s) {
  pb::Delivery d;
  d.set_id(s.id);
  d.set_state(s.state);
  d.set_attempts(s.attempts);
  d.set_last_error(s.last_error);
  return d;
}
}  // namespace

boost::asio::awaitable<svckit::Status> NotificatorService::watch_deliveries(const svckit::Context&,
                                                                            const pb::WatchDeliveriesRequest& request,
                                                                            svckit::StreamWriter<pb::Delivery>& out) {
  if (request.ids().empty()) co_return svckit::invalid_argument("ids: at least one message id is required");
  if (request.ids_size() > kMaxWatchedIds) co_return svckit::invalid_argument("ids: at most 100 per stream");
  std::vector<std::string> ids(request.ids().begin(), request.ids().end());
  for (const auto& id : ids)
    if (!svckit::valid_request_id(id)) co_return svckit::invalid_argument("ids: not a message id: " + id.substr(0, 64));
  // Watching first, then reading the states: a change in between is not lost (at worst seen twice).
  auto ex = co_await boost::asio::this_coro::executor;  // (not in the argument list: GCC 12 mishandles its temporaries)
  auto watcher = feed_->watch(ids, ex);
  if (!watcher) co_return svckit::Status(svckit::StatusCode::ResourceExhausted, "too many WatchDeliveries streams open");
  auto now = co_await svckit::run_blocking(pool_, [&] {
    std::vector<std::optional<OutboxMessage>> found;
    for (const auto& id : ids) found.push_back(outbox_->find(id));
    return found;
  });
  std::map<std::string, DeliveryState> last;  // what the caller was told, per id
  for (std::size_t i = 0; i < ids.size(); ++i) {
    if (!now[i]) co_return svckit::not_found("no message " + ids[i] + " in this notificator's outbox");
    last[ids[i]] = {now[i]->id, now[i]->state, now[i]->attempts, now[i]->last_error};
  }
  for (const auto& [id, s] : last) {
    const pb::Delivery d = to_delivery(s);  // named: no temporary in a co_await's expression (GCC 12)
    if (!co_await out.write(d)) co_return svckit::Status(svckit::StatusCode::Cancelled, "the caller left");
  }
  auto open = [&] { return std::any_of(last.begin(), last.end(), [](const auto& kv) { return !kv.second.final(); }); };
  while (open()) {
    for (const auto& s : co_await watcher->next()) {
      auto& told = last[s.id];
      if (told == s || told.final()) continue;  // seen already (the read above), or over
      told = s;
      const pb::Delivery d = to_delivery(s);
      if (!co_await out.write(d)) co_return svckit::Status(svckit::StatusCode::Cancelled, "the caller left");
    }
  }
  co_return svckit::Status();
}

}  // namespace bugtracker::notificator
