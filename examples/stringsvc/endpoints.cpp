#include "endpoints.hpp"

#include "svckit/middleware.hpp"
#include "svckit/middleware/logging.hpp"
#include "svckit/middleware/metrics.hpp"

namespace stringsvc {

using svckit::Context;
using svckit::Result;

Endpoints make_server_endpoints(std::shared_ptr<StringService> svc) {
  svckit::log::Logger log("stringsvc");
  Endpoints e;
  e.uppercase = svckit::chain<UppercaseRequest, UppercaseReply>(
      [svc](const Context& ctx, const UppercaseRequest& req) -> boost::asio::awaitable<Result<UppercaseReply>> {
        auto v = svc->uppercase(ctx, req.s());
        if (!v.ok()) co_return v.status();
        UppercaseReply reply;
        reply.set_v(std::move(*v));
        co_return reply;
      },
      svckit::middleware::Metrics{"stringsvc", "uppercase"}, svckit::middleware::Logging{log, "uppercase"});
  e.count = svckit::chain<CountRequest, CountReply>(
      [svc](const Context& ctx, const CountRequest& req) -> boost::asio::awaitable<Result<CountReply>> {
        CountReply reply;
        reply.set_v(svc->count(ctx, req.s()));
        co_return reply;
      },
      svckit::middleware::Metrics{"stringsvc", "count"}, svckit::middleware::Logging{log, "count"});
  return e;
}

}  // namespace stringsvc
