#include "health_service.hpp"

#include <boost/asio/post.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>

namespace svckit::grpc::wire {

namespace asio = boost::asio;
using detail::health_wire::ServingStatus;

// One Watch stream's wake-up: a timer that never expires, cancelled on its own thread when the status may
// have changed. `changed` covers a change that comes while the stream is busy writing (no wait to cancel).
struct HealthService::Watcher {
  explicit Watcher(const asio::any_io_executor& ex) : wake(ex, std::chrono::steady_clock::time_point::max()) {}
  asio::steady_timer wake;
  bool changed = false;
};

void HealthService::set_all(bool serving) {
  status_.set_all(serving);
  wake_all();
}

void HealthService::end_watches() {
  status_.set_all(false);
  ended_ = true;  // after: a stream that sees ended_ reads NOT_SERVING
  wake_all();
}

void HealthService::wake_all() {
  std::lock_guard lock(mu_);
  for (const auto& w : watchers_)
    asio::post(w->wake.get_executor(), [w] {
      w->changed = true;
      w->wake.cancel();
    });
}

WireHandler HealthService::check() {
  return [self = shared_from_this()](const Context&, std::string_view in) -> asio::awaitable<WireReply> {
    auto name = detail::health_wire::parse_request(in);
    if (!name) co_return WireReply{invalid_argument("not a grpc.health.v1.HealthCheckRequest"), {}};
    const auto status = self->status_.get(*name);
    if (status == detail::health_wire::kServiceUnknown) co_return WireReply{not_found("unknown service: " + *name), {}};
    co_return WireReply{Status(), detail::health_wire::response_bytes(status)};
  };
}

WireStreamHandler HealthService::watch() {
  return [self = shared_from_this()](const Context& ctx, std::string_view in, WireStreamWriter& out) -> asio::awaitable<Status> {
    auto name = detail::health_wire::parse_request(in);
    if (!name) co_return invalid_argument("not a grpc.health.v1.HealthCheckRequest");
    // Each Watch stream holds a stream until its client leaves: a bounded number of them, like calls.
    if (self->watching_.fetch_add(1) >= self->max_watch_streams_) {
      self->watching_.fetch_sub(1);
      if (self->shed_) self->shed_->inc();
      co_return Status(StatusCode::ResourceExhausted,
                       "too many health Watch streams: " + std::to_string(self->max_watch_streams_) + " open");
    }
    auto w = std::make_shared<Watcher>(co_await asio::this_coro::executor);
    {
      std::lock_guard lock(self->mu_);
      self->watchers_.insert(w);
    }
    struct Leave {  // however the handler ends (returns, or is cancelled and unwinds)
      HealthService& s;
      std::shared_ptr<Watcher> w;
      ~Leave() {
        std::lock_guard lock(s.mu_);
        s.watchers_.erase(w);
        s.watching_.fetch_sub(1);
      }
    } leave{*self, w};
    int last = -1;
    for (;;) {
      w->changed = false;
      const bool ending = self->ended_;
      const ServingStatus status = self->status_.get(*name);  // SERVICE_UNKNOWN too: a Watch stays open for it
      if (status != last) {
        if (!co_await out.write(detail::health_wire::response_bytes(status))) co_return Status(StatusCode::Cancelled, "cancelled");
        last = status;
      }
      if (ending) co_return Status();
      if (w->changed) continue;
      boost::system::error_code ignored;
      co_await w->wake.async_wait(asio::redirect_error(asio::use_awaitable, ignored));
      if (ctx.cancelled()) co_return Status(StatusCode::Cancelled, "cancelled");
    }
  };
}

}  // namespace svckit::grpc::wire
