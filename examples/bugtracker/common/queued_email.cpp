#include "queued_email.hpp"

#include <chrono>
#include <cstdio>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>

#include "svckit/runner.hpp"
#include "svckit/sd/registry.hpp"
#include "svckit/sd/retry.hpp"
#include "notificator.svckit.h"

namespace bugtracker {

std::int64_t now_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch()).count();
}

EmailSender::EmailSender(SendEmail send, svckit::BlockingPool& pool, std::shared_ptr<EmailQueue> queue,
                         svckit::log::Logger log, std::string origin)
    : send_(std::move(send)), pool_(pool), queue_(std::move(queue)), log_(std::move(log)), origin_(std::move(origin)) {}

std::string EmailSender::idempotency_key(const QueuedEmail& e) const {
  std::uint64_t h = 1469598103934665603ULL;  // FNV-1a: stable across processes and builds
  auto mix = [&](std::string_view s) {
    for (unsigned char c : s) h = (h ^ c) * 1099511628211ULL;
  };
  mix(e.email);
  mix(std::string_view("\0", 1));
  mix(e.content);
  char hex[17];
  std::snprintf(hex, sizeof hex, "%016llx", static_cast<unsigned long long>(h));
  return origin_ + ":" + std::to_string(e.id) + ":" + hex;
}

boost::asio::awaitable<bool> EmailSender::send(const svckit::Context& ctx, QueuedEmail e) {
  pb::SendEmailRequest req;
  req.set_email(e.email);
  req.set_content(e.content);
  req.set_idempotency_key(idempotency_key(e));
  svckit::Context call = ctx;
  call.set_timeout(std::chrono::seconds(2));
  auto r = co_await send_(call, req);
  try {
    if (r.ok()) {
      {
        std::lock_guard lock(sent_mu_);
        sent_.push_back(e.id);
      }
      if (log_.enabled(svckit::log::Level::Info))
        log_.for_request(ctx).info("email sent", {{"queue_id", e.id}, {"message_id", r->id()}});
      co_return true;
    }
    co_await svckit::run_blocking(pool_, [&] { queue_->email_retry(e.id, e.attempts + 1, now_ms() + retry_backoff_ms(e.attempts)); });
  } catch (const std::exception& ex) {
    log_.for_request(ctx).error("cannot update the email queue", {{"queue_id", e.id}, {"error", ex.what()}});
  }
  log_.for_request(ctx).warn("email not sent yet; queued for retry",
            {{"queue_id", e.id}, {"attempts", e.attempts + 1}, {"error", r.status().message()}});
  co_return false;
}

void EmailSender::flush_sent() {
  std::vector<std::int64_t> ids;
  {
    std::lock_guard lock(sent_mu_);
    ids.swap(sent_);
  }
  if (ids.empty()) return;
  try {
    queue_->emails_sent(ids);
  } catch (const std::exception& e) {
    log_.error("cannot remove sent emails from the queue", {{"error", e.what()}, {"count", static_cast<std::int64_t>(ids.size())}});
    std::lock_guard lock(sent_mu_);
    sent_.insert(sent_.end(), ids.begin(), ids.end());
  }
}

boost::asio::awaitable<int> EmailSender::deliver_due() {
  std::vector<QueuedEmail> due;
  try {
    due = co_await svckit::run_blocking(pool_, [&] {
      flush_sent();
      return queue_->due_emails(now_ms(), 100);
    });
  } catch (const std::exception& e) {
    log_.error("cannot read the email queue", {{"error", e.what()}});
    co_return 0;
  }
  int sent = 0;
  for (auto& e : due) {
    svckit::Context ctx;
    ctx.set_request_id(svckit::new_request_id());
    if (co_await send(ctx, std::move(e))) ++sent;
  }
  co_return sent;
}

void EmailSender::run_in_background(std::shared_ptr<EmailSender> self, svckit::Runner& runner) {
  auto stop = std::make_shared<std::atomic<bool>>(false);
  auto ex = runner.io().context(0).get_executor();
  runner.on_started([self, stop, ex] {
    boost::asio::co_spawn(ex, [self, stop, ex]() -> boost::asio::awaitable<void> {
      boost::asio::steady_timer t(ex);
      while (!*stop) {
        t.expires_after(std::chrono::seconds(1));
        co_await t.async_wait(boost::asio::use_awaitable);
        if (!*stop) co_await self->deliver_due();
      }
    }, boost::asio::detached);
  });
  runner.on_shutdown([self, stop] {
    *stop = true;
    self->flush_sent();
  });
}

SendEmail notificator_client(std::shared_ptr<svckit::sd::Registry> registry, const std::string& service,
                             svckit::Runner& runner) {
  // The generated registry client (notificator.svckit.h): one gRPC channel per instance, balanced, retried.
  // Two notificators keep separate outboxes: an attempt that timed out at one and was then retried at the
  // other would be stored (and sent) twice. So one email, one instance: its key's.
  auto client = std::make_shared<pb::notificator::Client>(
      std::move(registry), runner.io().context(0).get_executor(),
      pb::notificator::ClientOptions{
          .service = service,
          .transport = runner.options().grpc_wire ? "grpc-wire" : "grpc",  // --grpc-wire
          .balancer = "consistent_hash",
          .retry = {.max_attempts = 3, .attempt_timeout = std::chrono::milliseconds(1000), .retry_after_timeout = false},
          .hash_key = [](const google::protobuf::Message& m) {
            return static_cast<const pb::SendEmailRequest&>(m).idempotency_key();
          },
          .tls = runner.client_tls()});
  return [client](const svckit::Context& ctx, const pb::SendEmailRequest& request) {
    return client->send_email(ctx, request);
  };
}

}  // namespace bugtracker
