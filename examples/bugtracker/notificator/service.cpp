#include "service.hpp"

#include <chrono>

#include "../common/email.hpp"
#include "svckit/log.hpp"
#include "svckit/metadata.hpp"

namespace bugtracker::notificator {

namespace {
constexpr std::size_t kMaxContent = 64 * 1024;
std::int64_t now_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch()).count();
}
}  // namespace

NotificatorService::NotificatorService(std::shared_ptr<Outbox> outbox, svckit::BlockingPool& pool,
                                       std::function<void()> stored)
    : outbox_(std::move(outbox)), pool_(pool), stored_(std::move(stored)) {}

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

}  // namespace bugtracker::notificator
