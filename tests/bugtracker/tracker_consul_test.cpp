// The bug tracker on Consul (a stand-in agent: tests/support/consul_standin.py, Debian has no Consul): every
// service registers there (--registry consul://…, a TTL check each) and finds the others there.
#include <gtest/gtest.h>

#include "support/build_paths.hpp"
#include "support/consul.hpp"
#include "tracker.hpp"

using namespace std::chrono_literals;
using svckit::test::wait_until;

namespace {

class TrackerOnConsul : public svckit::test::TrackerTest {
 protected:
  std::string registry_url() override { return consul_.url(); }
  svckit::test::ConsulStandIn consul_;
};

// POST /create on users reaches the notificator users found in Consul; a second notificator registered later
// takes welcomes too.
TEST_F(TrackerOnConsul, CreateReachesNotificatorsFoundInConsul) {
  start_notificator("n1");
  start_api("users", svckit::test::paths::users(), "");
  auto create = [&](const std::string& email) {
    return call("users", "POST", "/create", R"({"email":")" + email + R"("})");
  };
  ASSERT_EQ(create("first@example.com").status, 201);
  EXPECT_TRUE(wait_until([&] { return outbox_count("n1", "first@example.com") == 1; }, 5s));
  start_notificator("n2");
  bool saw_n2 = false;
  int i = 0;
  EXPECT_TRUE(wait_until([&] {
    const std::string email = "c" + std::to_string(i++) + "@example.com";
    if (create(email).status != 201) return false;
    wait_until([&] { return outbox_count("n1", email) + outbox_count("n2", email) == 1; }, 5s);
    saw_n2 = saw_n2 || outbox_count("n2", email) == 1;
    return saw_n2;
  }, 20s)) << "the notificator registered later is found and used";
}

}  // namespace
