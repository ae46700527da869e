#include "svckit/middleware/metrics.hpp"

namespace svckit::middleware {

EndpointMetrics::EndpointMetrics(metrics::Registry& registry, std::string service, std::string method)
    : requests_(registry.counter("svckit_requests_total", "Requests served, by service, method and outcome code.",
                                 {"service", "method", "code"})),
      service_(std::move(service)),
      method_(std::move(method)),
      duration_(registry
                    .histogram("svckit_request_duration_seconds", "Time to serve a request, by service and method.",
                               {"service", "method"})
                    .with({service_, method_})),
      in_flight_(registry.gauge("svckit_requests_in_flight", "Requests being served now, by service and method.",
                                {"service", "method"})
                     .with({service_, method_})) {}

void EndpointMetrics::count_stream_messages(metrics::Registry& registry) {
  stream_messages_ = &registry
                          .counter("svckit_stream_messages_total",
                                   "Messages of server streams, sent (server) or received (client), by service and method.",
                                   {"service", "method"})
                          .with({service_, method_});
}

void EndpointMetrics::finished(const Status& status, std::chrono::steady_clock::duration took) {
  in_flight_.dec();
  duration_.observe(std::chrono::duration<double>(took).count());
  const auto i = static_cast<std::size_t>(status.code());
  if (i >= by_code_.size()) {  // not a known code: never cached
    requests_.with({service_, method_, std::string(to_string(status.code()))}).inc();
    return;
  }
  metrics::Counter* c = by_code_[i].load(std::memory_order_acquire);
  if (!c) {  // two threads may both look it up; with() returns the same child to both
    c = &requests_.with({service_, method_, std::string(to_string(status.code()))});
    by_code_[i].store(c, std::memory_order_release);
  }
  c->inc();
}

}  // namespace svckit::middleware
