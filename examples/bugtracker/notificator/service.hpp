// notificator — the service layer: accept an email, store it in the outbox, answer with its id.
#pragma once

#include <functional>
#include <memory>
#include <string>

#include <boost/asio/awaitable.hpp>

#include "notificator.svckit.h"
#include "delivery_feed.hpp"
#include "outbox.hpp"
#include "svckit/blocking.hpp"
#include "svckit/context.hpp"
#include "svckit/result.hpp"

namespace bugtracker::notificator {

/// Implements the generated pb::notificator::Service (from proto/notificator.proto).
class NotificatorService final : public pb::notificator::Service {
 public:
  /// `stored` is called after each message is durably stored (the sender wakes up on it); `feed` carries the
  /// sender's changes to WatchDeliveries.
  NotificatorService(std::shared_ptr<Outbox> outbox, svckit::BlockingPool& pool, std::function<void()> stored,
                     std::shared_ptr<DeliveryFeed> feed = std::make_shared<DeliveryFeed>());

  /// Validates, stores in the outbox, returns the message id (a UUID). INVALID_ARGUMENT for a bad email or
  /// empty content; UNAVAILABLE when the outbox cannot be written (nothing is acknowledged then).
  boost::asio::awaitable<svckit::Result<pb::SendEmailReply>> send_email(const svckit::Context& ctx,
                                                                        const pb::SendEmailRequest& request) override;
  /// Each message's state now, then every change, until all are sent or dead (OK). INVALID_ARGUMENT for
  /// no ids, more than 100, or one that is not an id; NOT_FOUND for an id this outbox does not hold;
  /// RESOURCE_EXHAUSTED when the feed's watchers are all taken.
  boost::asio::awaitable<svckit::Status> watch_deliveries(const svckit::Context& ctx, const pb::WatchDeliveriesRequest& request,
                                                          svckit::StreamWriter<pb::Delivery>& out) override;

 private:
  std::shared_ptr<Outbox> outbox_;
  std::shared_ptr<DeliveryFeed> feed_;
  svckit::BlockingPool& pool_;
  std::function<void()> stored_;
};

}  // namespace bugtracker::notificator
