// The whole bug tracker under load while every service is restarted in turn: two instances of each
// service, found through etcd by a client that balances and retries the way a svckit service does.
#include <gtest/gtest.h>

#include <set>

#include <atomic>
#include <mutex>
#include <thread>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>

#include "support/build_paths.hpp"
#include "svckit/address.hpp"
#include "svckit/auth/jwt.hpp"
#include "svckit/sd/registry.hpp"
#include "svckit/sd/retry.hpp"
#include "svckit/transport/http/client.hpp"
#include "tracker.hpp"

using namespace std::chrono_literals;
using svckit::test::wait_until;

namespace {

// The replies' shapes (strict decoding: every field the services send is listed).
struct Email {
  std::string email;
};
void to_json(boost::json::object& o, const Email& v) { o["email"] = v.email; }
struct UserReply {
  std::int64_t id = 0;
  std::string email;
  std::int64_t created_ms = 0;
};
void from_json(svckit::json::ObjectReader& r, UserReply& v) {
  r.required("id", v.id);
  r.required("email", v.email);
  r.required("created_ms", v.created_ms);
}
struct NewBug {
  std::string bug;
};
void to_json(boost::json::object& o, const NewBug& v) { o["bug"] = v.bug; }
struct BugReply {
  std::int64_t id = 0;
  std::string bug, status, assignee, reporter;
  std::int64_t assignee_id = 0, created_ms = 0, updated_ms = 0;
};
void from_json(svckit::json::ObjectReader& r, BugReply& v) {
  r.required("id", v.id);
  r.required("bug", v.bug);
  r.required("status", v.status);
  r.required("assignee", v.assignee);
  r.required("assignee_id", v.assignee_id);
  r.required("reporter", v.reporter);
  r.required("created_ms", v.created_ms);
  r.required("updated_ms", v.updated_ms);
}

// A discovered, balanced, retrying JSON client for POST /create on `service`.
template <class Req, class Resp>
svckit::Endpoint<Req, Resp> create_client(svckit::sd::Registry& registry, const std::string& service,
                                          boost::asio::io_context& io, const std::string& token) {
  auto endpointer = svckit::sd::Endpointer<Req, Resp>::create(
      registry.instancer(service),
      [token](const svckit::sd::Instance& i) -> svckit::Result<svckit::Endpoint<Req, Resp>> {
        auto [host, port] = svckit::split_host_port(i.address);
        auto client = std::make_shared<svckit::http::Client>(host, port);
        return svckit::http::json_client<Req, Resp>(
            client, svckit::http::Verb::post, "/create",
            {.before = [token](const svckit::Context&, svckit::http::Client::Request& m) {
              m.set(boost::beast::http::field::authorization, "Bearer " + token);
            }});
      },
      svckit::sd::make_balancer("p2c"), io.get_executor());
  return svckit::sd::balanced(endpointer, {.max_attempts = 3, .attempt_timeout = 2000ms});
}

class TrackerTest : public svckit::test::TrackerTest {};

TEST_F(TrackerTest, RollingRestartOfEveryServiceUnderLoadFailsNoRequest) {
  for (const char* n : {"n1", "n2"}) start_notificator(n);
  // Two instances of users and of bugs, each pair sharing one SQLite database.
  start_api("users1", svckit::test::paths::users(), "sqlite:" + dir_ + "/users.db");
  start_api("users2", svckit::test::paths::users(), "sqlite:" + dir_ + "/users.db");
  start_api("bugs1", svckit::test::paths::bugs(), "sqlite:" + dir_ + "/bugs.db");
  start_api("bugs2", svckit::test::paths::bugs(), "sqlite:" + dir_ + "/bugs.db");

  std::atomic<long> ok{0}, failed{0};
  std::mutex mu;
  std::vector<std::int64_t> user_ids;
  std::string first_error;
  std::atomic<bool> stop{false};
  {
    boost::asio::io_context io(1);
    auto work = boost::asio::make_work_guard(io);
    std::thread runner([&] { io.run(); });
    auto registry = svckit::sd::Registry::open(etcd_.url());
    auto token = svckit::auth::Hs256(svckit::test::kTrackerSecret).sign({.subject = "1", .email = "load@example.com"});
    auto create_user = create_client<Email, UserReply>(*registry, "users", io, token);
    auto file_bug = create_client<NewBug, BugReply>(*registry, "bugs", io, token);

    // Four callers in a closed loop, each at most 20,000 calls; they stop when the restarts are done.
    std::atomic<int> running{4};
    for (int w = 0; w < 4; ++w) {
      boost::asio::co_spawn(io, [&, w]() -> boost::asio::awaitable<void> {
        for (int i = 0; i < 20000 && !stop; ++i) {
          svckit::Context ctx;
          ctx.set_timeout(5s);
          svckit::Status st;
          // (Named requests, not temporaries: GCC 12 destroys temporaries in co_await arguments twice.)
          if (i % 2 == 0) {
            Email req{"w" + std::to_string(w) + "-" + std::to_string(i) + "@example.com"};
            auto r = co_await create_user(ctx, req);
            st = r.status();
            if (r.ok()) {
              std::lock_guard lock(mu);
              user_ids.push_back(r->id);
            }
          } else {
            NewBug req{"bug " + std::to_string(i)};
            auto r = co_await file_bug(ctx, req);
            st = r.status();
          }
          if (st.ok()) {
            ++ok;
          } else if (failed++ == 0) {
            std::lock_guard lock(mu);
            first_error = st.message();
          }
        }
        --running;
      }, boost::asio::detached);
    }

    // Each service in turn: SIGTERM (deregister, drain, exit 0), start again, wait until registered, and
    // let the load run on the new set before the next one.
    ASSERT_TRUE(wait_until([&] { return ok > 100; }, 20s));
    for (const char* name : {"n1", "n2", "users1", "users2", "bugs1", "bugs2"}) {
      restart(name);
      long before = ok;
      ASSERT_TRUE(wait_until([&] { return ok > before + 100; }, 20s)) << "load stalled after restarting " << name;
    }
    stop = true;
    ASSERT_TRUE(wait_until([&] { return running == 0; }, 30s));
    create_user = nullptr;
    file_bug = nullptr;
    registry.reset();
    work.reset();
    runner.join();
  }
  EXPECT_EQ(failed, 0) << "first error: " << first_error;
  // Every acknowledged user is there under its own id, whichever instance is asked (a restart that lost
  // or duplicated an acknowledged write fails here).
  std::set<std::int64_t> distinct(user_ids.begin(), user_ids.end());
  EXPECT_EQ(distinct.size(), user_ids.size()) << "two creations acknowledged with one id";
  const auto reader = svckit::auth::Hs256(svckit::test::kTrackerSecret).sign({.subject = "service:test"});
  for (std::size_t i = 0; i < user_ids.size(); ++i)
    ASSERT_EQ(call(i % 2 ? "users1" : "users2", "GET", "/users/" + std::to_string(user_ids[i]), "", reader).status, 200)
        << user_ids[i];
}

}  // namespace
