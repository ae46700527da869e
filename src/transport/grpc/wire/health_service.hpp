// grpc.health.v1.Health on svckit's own wire (wire_server.hpp serves it): Check as a unary method, Watch as
// a server stream that sends the status when it starts and each change after. A Watch stream waits on a
// timer of its own io thread; set_all() (any thread) posts a wake-up to each.
#pragma once

#include <atomic>
#include <memory>
#include <mutex>
#include <string>
#include <unordered_set>

#include "../health_status.hpp"
#include "svckit/metrics/registry.hpp"
#include "svckit/transport/grpc/wire_server.hpp"

namespace svckit::grpc::wire {

class HealthService : public std::enable_shared_from_this<HealthService> {
 public:
  /// Watch streams beyond max_watch_streams are refused (RESOURCE_EXHAUSTED, counted in shed).
  HealthService(int max_watch_streams, metrics::Counter* shed) : max_watch_streams_(max_watch_streams), shed_(shed) {}

  void declare(const std::string& service) { status_.declare(service); }
  /// Every Watch stream hears of the change.
  void set_all(bool serving);
  /// Shutdown: NOT_SERVING, and every Watch stream ends after saying so (so draining does not wait for them).
  void end_watches();

  /// The two methods' handlers; each holds the service alive.
  WireHandler check();
  WireStreamHandler watch();

  struct Watcher;

 private:
  void wake_all();

  detail::HealthStatus status_;
  const int max_watch_streams_;
  metrics::Counter* shed_;
  std::atomic<int> watching_{0};
  std::atomic<bool> ended_{false};
  std::mutex mu_;
  std::unordered_set<std::shared_ptr<Watcher>> watchers_;
};

}  // namespace svckit::grpc::wire
