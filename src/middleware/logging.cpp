#include "svckit/middleware/logging.hpp"

namespace svckit::middleware {

void log_call(const log::Logger& logger, const std::string& method, const Context& ctx, const Status& status,
              std::chrono::steady_clock::duration took) {
  const double ms = std::chrono::duration<double, std::milli>(took).count();
  if (status.ok() && !logger.enabled(log::Level::Info)) return;
  char trace_buf[32];
  trace::write_trace_id_hex(ctx.span(), trace_buf);
  const std::string_view trace_id(trace_buf, ctx.span().valid() ? 32 : 0);
  if (status.ok()) {
    logger.info("call", {{"method", method}, {"request_id", ctx.request_id()}, {"trace_id", trace_id}, {"took_ms", ms}, {"code", "OK"}});
    return;
  }
  // 4xx-like outcomes are the caller's problem (warn); the rest are ours (error).
  const bool server_fault = http_status_of(status.code()) >= 500;
  logger.log(server_fault ? log::Level::Error : log::Level::Warn, "call",
             {{"method", method},
              {"request_id", ctx.request_id()},
              {"trace_id", trace_id},
              {"took_ms", ms},
              {"code", to_string(status.code())},
              {"error", status.message()}});
}

}  // namespace svckit::middleware
