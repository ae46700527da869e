// svckit/middleware/metrics.hpp — counts calls, times them and tracks how many are in flight.
//
//   auto ep = svckit::chain(raw, svckit::middleware::Metrics{"users", "create"},
//                                svckit::middleware::Logging{log, "create"});
//
// Records, in the registry (default: the process-wide one the debug listener's /metrics serves):
//   svckit_requests_total{service,method,code}            counter; code as gRPC spells it ("OK", "NOT_FOUND" …)
//   svckit_request_duration_seconds{service,method}       histogram (default latency buckets)
//   svckit_requests_in_flight{service,method}             gauge
// The children are looked up once when the middleware wraps an endpoint (and once per new outcome), so a
// call costs a few atomic updates.
#pragma once

#include <array>
#include <atomic>
#include <chrono>
#include <memory>
#include <string>

#include "svckit/endpoint.hpp"
#include "svckit/metrics/registry.hpp"

namespace svckit::middleware {

/// The instruments one endpoint records into; shared by every Metrics<Req,Resp> instantiation.
class EndpointMetrics {
 public:
  EndpointMetrics(metrics::Registry& registry, std::string service, std::string method);
  void started() { in_flight_.inc(); }
  void finished(const Status& status, std::chrono::steady_clock::duration took);

 private:
  metrics::Family<metrics::Counter>& requests_;
  std::string service_, method_;
  metrics::Histogram& duration_;
  metrics::Gauge& in_flight_;
  std::array<std::atomic<metrics::Counter*>, 17> by_code_{};  // one per StatusCode, resolved on first use
};

struct Metrics {
  std::string service;
  std::string method;
  metrics::Registry* registry = &metrics::default_registry();

  template <class Req, class Resp>
  Endpoint<Req, Resp> operator()(Endpoint<Req, Resp> next) const {
    auto m = std::make_shared<EndpointMetrics>(*registry, service, method);
    return [m, next = std::move(next)](const Context& ctx, const Req& req) -> boost::asio::awaitable<Result<Resp>> {
      m->started();
      const auto start = std::chrono::steady_clock::now();
      Result<Resp> r = co_await next(ctx, req);
      m->finished(r.status(), std::chrono::steady_clock::now() - start);
      co_return r;
    };
  }
};

}  // namespace svckit::middleware
