// The middleware every bug-tracker endpoint runs behind, in one place.
#pragma once

#include <algorithm>

#include <CLI/CLI.hpp>

#include "svckit/middleware.hpp"
#include "svckit/middleware/logging.hpp"
#include "svckit/middleware/metrics.hpp"
#include "svckit/middleware/rate_limit.hpp"

namespace bugtracker {

struct EndpointLimits {
  double rate = 10000;  // requests per second per endpoint (also the burst); 0 = no limit
};

inline void add_limit_flags(CLI::App& app, EndpointLimits& limits) {
  app.add_option("--rate-limit", limits.rate, "requests per second per endpoint before 429 / RESOURCE_EXHAUSTED (0: none)")
      ->check(CLI::NonNegativeNumber)
      ->capture_default_str();
}

/// Outermost first: metrics (so refusals are counted too), logging, then the rate limit.
template <class Req, class Resp>
svckit::Endpoint<Req, Resp> instrumented(const char* service, const EndpointLimits& limits, const char* method,
                                        svckit::Endpoint<Req, Resp> e) {
  if (limits.rate > 0) e = svckit::chain(std::move(e), svckit::middleware::RateLimit{limits.rate, std::max(1.0, limits.rate)});
  return svckit::chain(std::move(e), svckit::middleware::Metrics{service, method},
                       svckit::middleware::Logging{svckit::log::Logger(service), method});
}

}  // namespace bugtracker
