#include "service.hpp"

#include <cctype>

namespace stringsvc {
namespace {

class BasicStringService final : public StringService {
 public:
  svckit::Result<std::string> uppercase(const svckit::Context&, std::string_view s) override {
    if (s.empty()) return svckit::invalid_argument("s must not be empty");
    std::string out(s);
    for (auto& c : out) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    return out;
  }
  std::int64_t count(const svckit::Context&, std::string_view s) override {
    return static_cast<std::int64_t>(s.size());
  }
};

class LoggingStringService final : public StringService {
 public:
  LoggingStringService(std::shared_ptr<StringService> next, svckit::log::Logger log)
      : next_(std::move(next)), log_(std::move(log)) {}

  svckit::Result<std::string> uppercase(const svckit::Context& ctx, std::string_view s) override {
    auto r = next_->uppercase(ctx, s);
    log_.info("uppercase", {{"request_id", ctx.request_id()}, {"input_len", s.size()}, {"ok", r.ok()}});
    return r;
  }
  std::int64_t count(const svckit::Context& ctx, std::string_view s) override {
    auto n = next_->count(ctx, s);
    log_.info("count", {{"request_id", ctx.request_id()}, {"n", n}});
    return n;
  }

 private:
  std::shared_ptr<StringService> next_;
  svckit::log::Logger log_;
};

}  // namespace

std::shared_ptr<StringService> make_string_service() { return std::make_shared<BasicStringService>(); }

std::shared_ptr<StringService> with_logging(std::shared_ptr<StringService> next, svckit::log::Logger logger) {
  return std::make_shared<LoggingStringService>(std::move(next), std::move(logger));
}

}  // namespace stringsvc
