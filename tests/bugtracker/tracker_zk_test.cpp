// The bug tracker on ZooKeeper: every service registers there (--registry zk://…) and finds the others there.
#include <gtest/gtest.h>

#include "support/build_paths.hpp"
#include "support/zookeeper.hpp"
#include "tracker.hpp"

using namespace std::chrono_literals;
using svckit::test::wait_until;

namespace {

class TrackerOnZooKeeper : public svckit::test::TrackerTest {
 protected:
  std::string registry_url() override { return zk_.url("?session_timeout_ms=2000"); }
  svckit::test::ZooKeeper zk_{1};
};

// POST /create on users reaches a notificator users found in ZooKeeper; both notificators take a share; one
// stopped (deregistered from ZooKeeper first) costs no request.
TEST_F(TrackerOnZooKeeper, CreateReachesNotificatorsFoundInZooKeeper) {
  start_notificator("n1");
  start_notificator("n2");
  start_api("users", svckit::test::paths::users(), "");
  auto create = [&](const std::string& email) {
    return call("users", "POST", "/create", R"({"email":")" + email + R"("})");
  };
  // Users learns of both notificators from its watch; until it has, every welcome may go to one.
  bool saw_n1 = false, saw_n2 = false;
  int i = 0;
  ASSERT_TRUE(wait_until([&] {
    const std::string email = "warm" + std::to_string(i++) + "@example.com";
    if (create(email).status != 201) return false;
    wait_until([&] { return outbox_count("n1", email) + outbox_count("n2", email) == 1; }, 5s);
    saw_n1 = saw_n1 || outbox_count("n1", email) == 1;
    saw_n2 = saw_n2 || outbox_count("n2", email) == 1;
    return saw_n1 && saw_n2;
  }, 20s)) << "both notificators take welcomes";
  for (int k = 0; k < 10; ++k) {
    const std::string email = "zk" + std::to_string(k) + "@example.com";
    ASSERT_EQ(create(email).status, 201);
    EXPECT_TRUE(wait_until([&] { return outbox_count("n1", email) + outbox_count("n2", email) == 1; }, 5s)) << email;
  }
  EXPECT_EQ(service("n1").proc->stop(), 0);
  for (int k = 0; k < 10; ++k) {
    const std::string email = "after" + std::to_string(k) + "@example.com";
    ASSERT_EQ(create(email).status, 201) << "n1 left ZooKeeper before it stopped serving";
    EXPECT_TRUE(wait_until([&] { return outbox_count("n2", email) == 1; }, 5s)) << email;
  }
}

}  // namespace
