#include "transport.hpp"

#include "bugs.svckit.h"

namespace bugtracker::bugs {

namespace api = bugtracker::api::bugs;
using svckit::Context;
using svckit::Result;

namespace {

api::Bug view(const Bug& b) {
  api::Bug v;
  v.set_id(b.id);
  v.set_bug(b.text);
  v.set_status(b.status);
  v.set_assignee(b.assignee);
  v.set_assignee_id(b.assignee_id);
  v.set_reporter(b.reporter_email);
  v.set_created_ms(b.created_ms);
  v.set_updated_ms(b.updated_ms);
  return v;
}

Result<api::Bug> view(Result<Bug> b) {
  if (!b.ok()) return b.status();
  return view(*b);
}

svckit::Status positive(std::int64_t id, const char* what) {
  return id > 0 ? svckit::Status() : svckit::invalid_argument(std::string(what) + " must be a positive integer");
}

// The generated interface over BugsService: wire messages in and out, the caller from the bearer token,
// the checks the wire needs; the rules of bugs stay in the service.
class BugsApi final : public api::Service {
 public:
  BugsApi(std::shared_ptr<BugsService> svc, std::shared_ptr<const svckit::auth::Hs256> jwt)
      : svc_(std::move(svc)), jwt_(std::move(jwt)) {}

  boost::asio::awaitable<Result<api::Bug>> file_bug(const Context& ctx, const api::FileBugRequest& r) override {
    auto who = caller(ctx);
    if (!who.ok()) co_return who.status();
    auto b = co_await svc_->file(ctx, *who, r.bug());
    co_return view(std::move(b));
  }
  boost::asio::awaitable<Result<api::BugPage>> list_bugs(const Context& ctx, const api::ListBugsRequest& r) override {
    BugQuery q;
    if (r.has_limit()) q.limit = r.limit();
    q.after_id = r.after();
    q.status = r.status();
    q.assignee = r.assignee();
    auto page = co_await svc_->list(ctx, q);
    if (!page.ok()) co_return page.status();
    api::BugPage out;
    for (const auto& b : page->bugs) *out.add_bugs() = view(b);
    if (page->next_after) out.set_next_after(page->next_after);
    co_return out;
  }
  boost::asio::awaitable<Result<api::Bug>> get_bug(const Context& ctx, const api::GetBugRequest& r) override {
    if (auto s = positive(r.id(), "bug id"); !s.ok()) co_return s;
    auto b = co_await svc_->get(ctx, r.id());
    co_return view(std::move(b));
  }
  boost::asio::awaitable<Result<api::Bug>> change_bug(const Context& ctx, const api::ChangeBugRequest& r) override {
    if (auto s = positive(r.id(), "bug id"); !s.ok()) co_return s;
    if (r.has_assignee()) co_return svckit::invalid_argument("assign by \"assignee_id\" (a registered user's id), not by email");
    auto who = caller(ctx);
    if (!who.ok()) co_return who.status();
    BugPatch patch;
    if (r.has_status()) patch.status = r.status();
    if (r.has_assignee_id()) patch.assignee_id = r.assignee_id();
    auto b = co_await svc_->change(ctx, *who, r.id(), std::move(patch));
    co_return view(std::move(b));
  }

 private:
  // The caller, from the Authorization header: UNAUTHENTICATED (401) without a valid token.
  Result<svckit::auth::Claims> caller(const Context& ctx) const { return svckit::auth::bearer(*jwt_, ctx.metadata("authorization")); }

  std::shared_ptr<BugsService> svc_;
  std::shared_ptr<const svckit::auth::Hs256> jwt_;
};

}  // namespace

void add_http_routes(svckit::http::Router& router, std::shared_ptr<BugsService> svc,
                     std::shared_ptr<const svckit::auth::Hs256> jwt, const EndpointOptions& limits) {
  auto e = api::make_endpoints(std::make_shared<BugsApi>(std::move(svc), std::move(jwt)));
  e.file_bug = instrumented("bugs", limits, "file_bug", std::move(e.file_bug));
  e.list_bugs = instrumented("bugs", limits, "list_bugs", std::move(e.list_bugs));
  e.get_bug = instrumented("bugs", limits, "get_bug", std::move(e.get_bug));
  e.change_bug = instrumented("bugs", limits, "change_bug", std::move(e.change_bug));
  api::add_http_routes(router, e);  // the routes bugs.proto declares
  router.add(svckit::http::Verb::get, "/healthz", [](svckit::http::Request&) -> boost::asio::awaitable<svckit::http::Response> {
    co_return svckit::http::json_response(200, R"({"status":"ok"})");
  });
}

}  // namespace bugtracker::bugs
