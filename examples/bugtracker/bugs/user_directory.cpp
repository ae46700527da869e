#include "user_directory.hpp"

#include "../common/service_token.hpp"
#include "svckit/address.hpp"
#include "svckit/codec/json.hpp"
#include "svckit/runner.hpp"
#include "svckit/sd/balancer.hpp"
#include "svckit/sd/endpointer.hpp"
#include "svckit/sd/registry.hpp"
#include "svckit/sd/retry.hpp"
#include "svckit/transport/http/client.hpp"

namespace bugtracker::bugs {

// users' reply to GET /users/{id} (strict: every field it sends); found by ADL, so not in the anonymous
// namespace.
void from_json(svckit::json::ObjectReader& r, UserRef& v) {
  std::int64_t created_ms = 0;
  r.required("id", v.id);
  r.required("email", v.email);
  r.required("created_ms", created_ms);
}

namespace {

struct Lookup {
  std::int64_t id = 0;
};
// GET has no body; the codec needs an encoder all the same.
void to_json(boost::json::object& o, const Lookup& v) { o["id"] = v.id; }

svckit::Endpoint<Lookup, UserRef> one_instance(const svckit::sd::Instance& i,
                                               const std::shared_ptr<const svckit::tls::Credentials>& tls,
                                               std::shared_ptr<const svckit::auth::Hs256> key) {
  auto [host, port] = svckit::split_host_port(i.address);
  auto client = std::make_shared<svckit::http::Client>(host, port, svckit::http::ClientOptions{.tls = i.tls ? tls : nullptr});
  return svckit::http::json_client<Lookup, UserRef>(
      client, svckit::http::Verb::get, "/users",
      {.target = [](const Lookup& l) { return "/users/" + std::to_string(l.id); },
       .before = [key](const svckit::Context&, svckit::http::Client::Request& m) {
         m.set(boost::beast::http::field::authorization, "Bearer " + service_token(*key, "bugs"));
       }});
}

}  // namespace

FindUser users_directory(std::shared_ptr<svckit::sd::Registry> registry, const std::string& service,
                         const std::string& balancer, svckit::Runner& runner, std::shared_ptr<const svckit::auth::Hs256> key) {
  auto tls = runner.client_tls() ? runner.client_tls() : svckit::tls::load_client({});
  auto endpointer = svckit::sd::Endpointer<Lookup, UserRef>::create(
      registry->instancer(service),
      [tls, key](const svckit::sd::Instance& i) { return svckit::Result(one_instance(i, tls, key)); },
      svckit::sd::make_balancer(balancer), runner.io().context(0).get_executor(), {.service = service});
  auto call = svckit::sd::balanced(endpointer, {.max_attempts = 3, .attempt_timeout = std::chrono::milliseconds(1000)});
  // A coroutine, so the request lives in its frame while the lazily started call runs.
  return [endpointer, call](const svckit::Context& ctx, std::int64_t id) -> boost::asio::awaitable<svckit::Result<UserRef>> {
    const Lookup request{id};
    co_return co_await call(ctx, request);
  };
}

}  // namespace bugtracker::bugs
