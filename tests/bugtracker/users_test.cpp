// users as a real process with real notificators discovered through a real etcd.
#include <gtest/gtest.h>

#include <atomic>
#include <set>
#include <thread>

#include "support/etcd.hpp"
#include "support/http_call.hpp"
#include "support/process.hpp"
#include "support/run.hpp"
#include "svckit/auth/jwt.hpp"

using namespace std::chrono_literals;
using svckit::test::free_port;
using svckit::test::http_call;
using svckit::test::Process;
using svckit::test::wait_until;

namespace {

const std::string kSecret = "users-test-secret-0123456789abcdef";

class UsersTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/svckit-users-XXXXXX";
    dir_ = mkdtemp(tmpl);
  }
  void TearDown() override {
    procs_.clear();
    std::filesystem::remove_all(dir_);
  }
  // A notificator registered in etcd; returns its debug port (GET /outbox).
  unsigned short start_notificator(const std::string& name) {
    auto debug = free_port();
    procs_[name] = std::make_unique<Process>(
        std::vector<std::string>{NOTIFICATOR_BIN, "--grpc-addr", "127.0.0.1:0", "--debug-addr",
                                 "127.0.0.1:" + std::to_string(debug), "--store", "sqlite:" + dir_ + "/" + name + ".db",
                                 "--registry", etcd_.url()},
        dir_ + "/" + name + ".log");
    EXPECT_TRUE(wait_until([&] { return procs_[name]->log().find("msg=registered") != std::string::npos; }, 10s));
    return debug;
  }
  void start_users(const std::string& store = "") {
    if (!users_port_) users_port_ = free_port();
    procs_["users"] = std::make_unique<Process>(
        std::vector<std::string>{USERS_BIN, "--http-addr", "127.0.0.1:" + std::to_string(users_port_), "--debug-addr",
                                 "127.0.0.1:0", "--store", store.empty() ? "sqlite:" + dir_ + "/users.db" : store,
                                 "--registry", etcd_.url(), "--jwt-secret", kSecret},
        dir_ + "/users.log");
    ASSERT_TRUE(wait_until([&] { return http_call(users_port_, "GET", "/healthz").status == 200; }, 10s)) << procs_["users"]->log();
  }
  svckit::test::HttpReply post(const std::string& path, const std::string& body) {
    return http_call(users_port_, "POST", path, body);
  }
  int outbox_count(unsigned short debug_port, const std::string& email) {
    auto body = http_call(debug_port, "GET", "/outbox?limit=10000").body;
    int n = 0;
    for (auto pos = body.find("\"email\":\"" + email + "\""); pos != std::string::npos;
         pos = body.find("\"email\":\"" + email + "\"", pos + 1))
      ++n;
    return n;
  }

  svckit::test::EtcdCluster etcd_{1};
  std::string dir_;
  unsigned short users_port_ = 0;
  std::map<std::string, std::unique_ptr<Process>> procs_;
};

TEST_F(UsersTest, CreateSendsAWelcomeThroughADiscoveredNotificator) {
  auto n1 = start_notificator("n1");
  start_users();
  auto r = post("/create", R"({"email":"ann@example.com"})");
  ASSERT_EQ(r.status, 201) << r.body;
  EXPECT_NE(r.body.find("\"email\":\"ann@example.com\""), std::string::npos);
  EXPECT_TRUE(wait_until([&] { return outbox_count(n1, "ann@example.com") == 1; }));
  auto got = http_call(users_port_, "GET", "/users/1");
  EXPECT_EQ(got.status, 200);
  EXPECT_NE(got.body.find("ann@example.com"), std::string::npos);
}

TEST_F(UsersTest, BadInputGetsClearErrors) {
  start_notificator("n1");
  start_users();
  ASSERT_EQ(post("/create", R"({"email":"ann@example.com"})").status, 201);
  auto dup = post("/create", R"({"email":"ann@example.com"})");
  EXPECT_EQ(dup.status, 409);
  EXPECT_NE(dup.body.find("ALREADY_EXISTS"), std::string::npos);
  EXPECT_EQ(post("/create", R"({"email":"not-an-email"})").status, 400);
  EXPECT_EQ(post("/create", R"({"email":"a@b.c","admin":true})").status, 400) << "unknown fields are refused";
  EXPECT_EQ(post("/create", R"({"email":)").status, 400);
  EXPECT_EQ(post("/create", R"([])").status, 400);
  EXPECT_EQ(post("/users", R"({"email":"bob@example.com","password":"short"})").status, 400);
  EXPECT_EQ(post("/users", R"({"email":"bob@example.com"})").status, 400);
  EXPECT_EQ(http_call(users_port_, "GET", "/users/0").status, 400);
  EXPECT_EQ(http_call(users_port_, "GET", "/users/abc").status, 400);
  EXPECT_EQ(http_call(users_port_, "GET", "/users/999").status, 404);
  EXPECT_EQ(post("/create", std::string(2 * 1024 * 1024, 'x')).status, 413);
}

TEST_F(UsersTest, LoginGivesATokenBugsCanVerify) {
  start_notificator("n1");
  start_users();
  ASSERT_EQ(post("/users", R"({"email":"bob@example.com","password":"correct horse"})").status, 201);
  auto ok = post("/login", R"({"email":"bob@example.com","password":"correct horse"})");
  ASSERT_EQ(ok.status, 200) << ok.body;
  auto start = ok.body.find(":\"") + 2;
  auto token = ok.body.substr(start, ok.body.find('"', start) - start);
  auto claims = svckit::auth::Hs256(kSecret).verify(token);
  ASSERT_TRUE(claims.ok()) << claims.status().message();
  EXPECT_EQ(claims->email, "bob@example.com");
  EXPECT_EQ(post("/login", R"({"email":"bob@example.com","password":"wrong horse"})").status, 401);
  EXPECT_EQ(post("/login", R"({"email":"nobody@example.com","password":"whatever1"})").status, 401);
  ASSERT_EQ(post("/create", R"({"email":"nopass@example.com"})").status, 201);
  EXPECT_EQ(post("/login", R"({"email":"nopass@example.com","password":""})").status, 401);
}

TEST_F(UsersTest, WithEveryNotificatorDownUsersAreStillCreatedAndWelcomedLater) {
  start_users();
  for (const char* e : {"x1@example.com", "x2@example.com"}) {
    auto r = post("/create", std::string(R"({"email":")") + e + "\"}");
    EXPECT_EQ(r.status, 201) << r.body;
  }
  auto n1 = start_notificator("n1");
  EXPECT_TRUE(wait_until([&] { return outbox_count(n1, "x1@example.com") == 1 && outbox_count(n1, "x2@example.com") == 1; }, 20s))
      << procs_["users"]->log();
}

TEST_F(UsersTest, KillingOneOfTwoNotificatorsUnderLoadFailsNoCreation) {
  start_notificator("n1");
  start_notificator("n2");
  start_users();
  std::atomic<int> created{0}, failed{0};
  std::thread load([&] {
    for (int i = 0; i < 300; ++i) {
      auto r = post("/create", R"({"email":"load)" + std::to_string(i) + R"(@example.com"})");
      (r.status == 201 ? created : failed)++;
    }
  });
  ASSERT_TRUE(wait_until([&] { return created > 50; }));
  procs_["n1"]->signal(SIGKILL);
  load.join();
  EXPECT_EQ(failed, 0);
  EXPECT_EQ(created, 300);
}

TEST_F(UsersTest, AcknowledgedUsersSurviveSigkill) {
  start_notificator("n1");
  start_users();
  std::vector<int> acked;
  std::atomic<bool> stop{false};
  std::thread load([&] {
    for (int i = 0; i < 2000 && !stop; ++i)
      if (post("/create", R"({"email":"k)" + std::to_string(i) + R"(@example.com"})").status == 201) acked.push_back(i);
  });
  ASSERT_TRUE(wait_until([&] { return acked.size() > 30; }));
  procs_["users"]->signal(SIGKILL);
  stop = true;
  load.join();
  start_users();
  for (int i : acked) {
    auto r = post("/create", R"({"email":"k)" + std::to_string(i) + R"(@example.com"})");
    EXPECT_EQ(r.status, 409) << "user " << i << " was acknowledged, so it must still exist";
  }
}

TEST(UsersStartup, ShortJwtSecretIsRefusedClearly) {
  char tmpl[] = "/tmp/svckit-users-XXXXXX";
  std::string dir = mkdtemp(tmpl);
  Process p({USERS_BIN, "--store", "memory:", "--registry", "etcd://127.0.0.1:1", "--jwt-secret", "too-short"}, dir + "/log");
  EXPECT_EQ(p.signal(0), 2);
  EXPECT_NE(p.log().find("at least 32 bytes"), std::string::npos) << p.log();
  std::filesystem::remove_all(dir);
}

}  // namespace
