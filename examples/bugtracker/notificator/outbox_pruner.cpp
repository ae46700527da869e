#include "outbox_pruner.hpp"

#include <algorithm>
#include <atomic>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>

#include "svckit/log.hpp"

namespace bugtracker::notificator {

namespace {

std::int64_t now_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch()).count();
}

// One pass: batches until a batch comes back short. Returns how many were deleted.
int prune_once(Outbox& outbox, std::chrono::seconds retention) {
  constexpr int kBatch = 1000;
  const std::int64_t before = now_ms() - std::chrono::duration_cast<std::chrono::milliseconds>(retention).count();
  int total = 0;
  for (int n = kBatch; n == kBatch;) total += n = outbox.prune_sent(before, kBatch);
  return total;
}

}  // namespace

void prune_in_background(std::shared_ptr<Outbox> outbox, svckit::BlockingPool& pool, std::chrono::seconds retention,
                         svckit::Runner& runner) {
  auto stop = std::make_shared<std::atomic<bool>>(false);
  const auto every = std::clamp<std::chrono::milliseconds>(retention / 2, std::chrono::seconds(1), std::chrono::seconds(60));
  auto ex = runner.io().context(0).get_executor();
  runner.on_started([outbox, &pool, retention, every, stop, ex] {
    boost::asio::co_spawn(ex, [outbox, &pool, retention, every, stop, ex]() -> boost::asio::awaitable<void> {
      svckit::log::Logger log("notificator.pruner");
      boost::asio::steady_timer t(ex);
      while (!*stop) {
        t.expires_after(every);
        co_await t.async_wait(boost::asio::use_awaitable);
        if (*stop) break;
        try {
          int n = co_await svckit::run_blocking(pool, [&] { return prune_once(*outbox, retention); });
          if (n > 0) log.info("pruned sent messages", {{"count", n}, {"retention_s", static_cast<std::int64_t>(retention.count())}});
        } catch (const std::exception& e) {
          log.error("cannot prune the outbox", {{"error", e.what()}});
        }
      }
    }, boost::asio::detached);
  });
  runner.on_shutdown([stop] { *stop = true; });
}

}  // namespace bugtracker::notificator
