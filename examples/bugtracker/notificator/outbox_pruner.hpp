// notificator — keeps the outbox from growing forever: sent messages older than the retention are deleted
// in the background. Pending and dead messages stay (they are still owed to someone).
//
// The retention must outlast the time a caller may resend one message (its idempotency key is forgotten
// with the message); users and bugs resend only until an attempt succeeds, so days are plenty.
#pragma once

#include <chrono>
#include <memory>

#include "outbox.hpp"
#include "svckit/blocking.hpp"
#include "svckit/runner.hpp"

namespace bugtracker::notificator {

/// Once the runner has started, every min(retention / 2, 60 s) (at least 1 s): deletes sent messages created
/// more than `retention` ago, 1000 per statement, until none is left. A storage error is logged and the
/// next pass tries again. Stops at shutdown.
void prune_in_background(std::shared_ptr<Outbox> outbox, svckit::BlockingPool& pool, std::chrono::seconds retention,
                         svckit::Runner& runner);

}  // namespace bugtracker::notificator
