// The middleware every bug-tracker endpoint runs behind, in one place.
#pragma once

#include <algorithm>

#include <CLI/CLI.hpp>

#include "svckit/middleware.hpp"
#include "svckit/middleware/logging.hpp"
#include "svckit/middleware/metrics.hpp"
#include "svckit/middleware/rate_limit.hpp"

namespace bugtracker {

struct EndpointOptions {
  double rate = 50000;  // requests per second per endpoint (also the burst); 0 = no limit. Above what one
                        // instance serves on a small machine: a guard against floods, not a quota
  bool bare = false;    // no middleware at all: only for measuring what the middleware costs
};

inline void add_endpoint_flags(CLI::App& app, EndpointOptions& limits) {
  app.add_option("--rate-limit", limits.rate, "requests per second per endpoint before 429 / RESOURCE_EXHAUSTED (0: none)")
      ->check(CLI::NonNegativeNumber)
      ->capture_default_str();
  app.add_flag("--bare-endpoints", limits.bare, "serve endpoints without metrics, logging or rate limit (benchmarks)");
}

/// Outermost first: metrics (so refusals are counted too), logging, then the rate limit. E: an Endpoint or
/// a StreamEndpoint.
template <class E>
E instrumented(const char* service, const EndpointOptions& limits, const char* method, E e) {
  if (limits.bare) return e;
  if (limits.rate > 0) e = svckit::chain(std::move(e), svckit::middleware::RateLimit{limits.rate, std::max(1.0, limits.rate)});
  return svckit::chain(std::move(e), svckit::middleware::Metrics{service, method},
                       svckit::middleware::Logging{svckit::log::Logger(service), method});
}

}  // namespace bugtracker
