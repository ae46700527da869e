// stringsvc — the service layer: plain business logic, no transport in sight.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "svckit/context.hpp"
#include "svckit/log.hpp"
#include "svckit/result.hpp"

namespace stringsvc {

class StringService {
 public:
  virtual ~StringService() = default;
  virtual svckit::Result<std::string> uppercase(const svckit::Context& ctx, std::string_view s) = 0;
  virtual std::int64_t count(const svckit::Context& ctx, std::string_view s) = 0;
};

std::shared_ptr<StringService> make_string_service();

/// Service-level middleware: decorates the interface itself, the way go-kit's LoggingMiddleware does.
/// It sees domain values (lengths, outcomes) that endpoint middleware only sees as opaque requests.
std::shared_ptr<StringService> with_logging(std::shared_ptr<StringService> next, svckit::log::Logger logger);

}  // namespace stringsvc
