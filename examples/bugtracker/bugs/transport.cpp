#include "transport.hpp"

#include <charconv>

#include "svckit/codec/json.hpp"
#include "svckit/middleware.hpp"
#include "middleware.hpp"
#include "svckit/transport/http/serve.hpp"

namespace bugtracker::bugs {

using svckit::Context;
using svckit::Result;
using Verb = svckit::http::Verb;

// Wire types: strict JSON (unknown fields are an error).
struct FileRequest {
  std::string bug;
};
void from_json(svckit::json::ObjectReader& r, FileRequest& v) { r.required("bug", v.bug); }

struct ChangeRequest {
  std::int64_t id = 0;  // from the path
  BugPatch patch;
};
void from_json(svckit::json::ObjectReader& r, ChangeRequest& v) {
  r.optional("status", v.patch.status);
  r.optional("assignee_id", v.patch.assignee_id);
  std::optional<std::string> by_email;  // the old form: refused with a hint rather than as an unknown field
  r.optional("assignee", by_email);
  if (by_email) r.fail("assign by \"assignee_id\" (a registered user's id), not by email");
}

struct GetRequest {  // from the path
  std::int64_t id = 0;
};

struct ListRequest {  // from the query string
  BugQuery query;
};

void to_json(boost::json::object& o, const Bug& b) {
  o["id"] = b.id;
  o["bug"] = b.text;
  o["status"] = b.status;
  o["assignee"] = b.assignee;
  o["assignee_id"] = b.assignee_id;
  o["reporter"] = b.reporter_email;
  o["created_ms"] = b.created_ms;
  o["updated_ms"] = b.updated_ms;
}
void to_json(boost::json::object& o, const BugPage& p) {
  boost::json::array bugs;
  bugs.reserve(p.bugs.size());
  for (const auto& b : p.bugs) {
    boost::json::object one;
    to_json(one, b);
    bugs.emplace_back(std::move(one));
  }
  o["bugs"] = std::move(bugs);
  if (p.next_after) o["next_after"] = p.next_after;
}

namespace {


Result<std::int64_t> positive_int(std::string_view s, const char* what) {
  std::int64_t v = 0;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || p != s.data() + s.size() || v <= 0)
    return svckit::invalid_argument(std::string(what) + " must be a positive integer");
  return v;
}

Result<ListRequest> decode_list(const svckit::http::Request& r) {
  ListRequest l;
  if (auto s = r.query("limit"); !s.empty()) {
    auto v = positive_int(s, "limit");
    if (!v.ok()) return v.status();
    l.query.limit = static_cast<int>(std::min<std::int64_t>(*v, 1000));
  }
  if (auto s = r.query("after"); !s.empty() && s != "0") {
    auto v = positive_int(s, "after");
    if (!v.ok()) return v.status();
    l.query.after_id = *v;
  }
  auto status = svckit::http::url_decode(r.query("status"));
  auto assignee = svckit::http::url_decode(r.query("assignee"));
  if (!status || !assignee) return svckit::invalid_argument("malformed %-escape in the query string");
  l.query.status = std::move(*status);
  l.query.assignee = std::move(*assignee);
  return l;
}

}  // namespace

void add_http_routes(svckit::http::Router& router, std::shared_ptr<BugsService> svc,
                     std::shared_ptr<const svckit::auth::Hs256> jwt, const EndpointOptions& limits) {
  // The caller, from the Authorization header: UNAUTHENTICATED (401) without a valid token.
  auto caller = [jwt](const Context& ctx) { return svckit::auth::bearer(*jwt, ctx.metadata("authorization")); };

  auto file = instrumented<FileRequest, Bug>(
      "bugs", limits, "file_bug", [svc, caller](const Context& ctx, const FileRequest& r) -> boost::asio::awaitable<Result<Bug>> {
        auto who = caller(ctx);
        if (!who.ok()) co_return who.status();
        co_return co_await svc->file(ctx, *who, r.bug);
      });
  auto change = instrumented<ChangeRequest, Bug>(
      "bugs", limits, "change_bug", [svc, caller](const Context& ctx, const ChangeRequest& r) -> boost::asio::awaitable<Result<Bug>> {
        auto who = caller(ctx);
        if (!who.ok()) co_return who.status();
        co_return co_await svc->change(ctx, *who, r.id, r.patch);
      });
  auto get = instrumented<GetRequest, Bug>(
      "bugs", limits, "get_bug", [svc](const Context& ctx, const GetRequest& r) -> boost::asio::awaitable<Result<Bug>> {
        co_return co_await svc->get(ctx, r.id);
      });
  auto list = instrumented<ListRequest, BugPage>(
      "bugs", limits, "list_bugs", [svc](const Context& ctx, const ListRequest& r) -> boost::asio::awaitable<Result<BugPage>> {
        co_return co_await svc->list(ctx, r.query);
      });

  auto id_from_path = [](const svckit::http::Request& r) { return positive_int(r.param("id"), "bug id"); };
  router.add(Verb::post, "/create", svckit::http::serve(file, {.success_status = 201}));
  router.add(Verb::get, "/bugs", svckit::http::serve(list, {.decode = decode_list}));
  router.add(Verb::get, "/bugs/{id}", svckit::http::serve(get, {.decode = [id_from_path](const svckit::http::Request& r)
                                                                    -> Result<GetRequest> {
                                                                  auto id = id_from_path(r);
                                                                  if (!id.ok()) return id.status();
                                                                  return GetRequest{*id};
                                                                }}));
  router.add(Verb::patch, "/bugs/{id}",
             svckit::http::serve(change, {.decode = [id_from_path](const svckit::http::Request& r) -> Result<ChangeRequest> {
                                   auto id = id_from_path(r);
                                   if (!id.ok()) return id.status();
                                   auto c = svckit::json::Codec<ChangeRequest>::decode(r.msg.body());
                                   if (!c.ok()) return c.status();
                                   c->id = *id;
                                   return c;
                                 }}));
  router.add(Verb::get, "/healthz", [](svckit::http::Request&) -> boost::asio::awaitable<svckit::http::Response> {
    co_return svckit::http::json_response(200, R"({"status":"ok"})");
  });
}

}  // namespace bugtracker::bugs
