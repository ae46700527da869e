#include "service.hpp"

#include <chrono>

#include "../common/email.hpp"
#include "svckit/log.hpp"

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

boost::asio::awaitable<svckit::Result<std::string>> NotificatorService::send_email(const svckit::Context& ctx,
                                                                                  std::string email,
                                                                                  std::string content) {
  if (auto why = email_problem(email); !why.empty()) co_return svckit::invalid_argument(why);
  if (content.empty()) co_return svckit::invalid_argument("content is required");
  if (content.size() > kMaxContent) co_return svckit::invalid_argument("content is longer than 64 KiB");
  OutboxMessage m;
  m.id = new_uuid();
  m.email = std::move(email);
  m.content = std::move(content);
  m.created_ms = m.next_attempt_ms = now_ms();
  auto stored = co_await svckit::run_blocking(pool_, [&]() -> svckit::Status {
    try {
      outbox_->add(m);
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
  co_return m.id;
}

}  // namespace bugtracker::notificator
