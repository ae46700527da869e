// notificator — the service layer: accept an email, store it in the outbox, answer with its id.
#pragma once

#include <functional>
#include <memory>
#include <string>

#include <boost/asio/awaitable.hpp>

#include "notificator.svckit.h"
#include "outbox.hpp"
#include "svckit/blocking.hpp"
#include "svckit/context.hpp"
#include "svckit/result.hpp"

namespace bugtracker::notificator {

/// Implements the generated pb::notificator::Service (from proto/notificator.proto).
class NotificatorService final : public pb::notificator::Service {
 public:
  /// `stored` is called after each message is durably stored (the sender wakes up on it).
  NotificatorService(std::shared_ptr<Outbox> outbox, svckit::BlockingPool& pool, std::function<void()> stored);

  /// Validates, stores in the outbox, returns the message id (a UUID). INVALID_ARGUMENT for a bad email or
  /// empty content; UNAVAILABLE when the outbox cannot be written (nothing is acknowledged then).
  boost::asio::awaitable<svckit::Result<pb::SendEmailReply>> send_email(const svckit::Context& ctx,
                                                                        const pb::SendEmailRequest& request) override;

 private:
  std::shared_ptr<Outbox> outbox_;
  svckit::BlockingPool& pool_;
  std::function<void()> stored_;
};

}  // namespace bugtracker::notificator
