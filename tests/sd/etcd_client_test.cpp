// The etcd client against a real etcd: key-value operations, leases, the shared watch stream.
#include <gtest/gtest.h>

#include <cstdlib>
#include <mutex>

#include <boost/asio/io_context.hpp>

#include "support/etcd.hpp"
#include "support/run.hpp"
#include "svckit/sd/etcd/client.hpp"

using namespace std::chrono_literals;
using svckit::sd::etcd::Client;
using svckit::sd::etcd::WatchEvent;
using svckit::sd::etcd::WatchUpdate;
using svckit::test::run_sync;
using svckit::test::wait_until;

namespace {

// Collects what a watch delivers (callbacks run on the client's thread).
// What a watch delivered. The callback shares the log's state, so a watch still delivering on the client's
// thread after the test's WatchLog has gone out of scope (the client outlives it) writes to live memory.
struct WatchLog {
  struct State {
    std::mutex mu;
    std::vector<WatchEvent> events;
    std::vector<svckit::Status> statuses;
  };
  std::shared_ptr<State> state = std::make_shared<State>();
  auto callback() {
    return [st = state](const WatchUpdate& u) {
      std::lock_guard lock(st->mu);
      for (const auto& e : u.events) st->events.push_back(e);
      if (u.events.empty()) st->statuses.push_back(u.status);
    };
  }
  std::size_t count() {
    std::lock_guard lock(state->mu);
    return state->events.size();
  }
};

class EtcdClientTest : public ::testing::Test {
 protected:
  svckit::test::EtcdCluster etcd{1};
  std::shared_ptr<Client> client = Client::create({.endpoints = etcd.endpoints()});
};

TEST_F(EtcdClientTest, PutGetEraseByKeyAndPrefix) {
  auto rev = run_sync(client->put("/t/a", "1"));
  ASSERT_TRUE(rev.ok()) << rev.status().message();
  ASSERT_TRUE(run_sync(client->put("/t/b", "2")).ok());
  ASSERT_TRUE(run_sync(client->put("/u/c", "3")).ok());

  auto one = run_sync(client->get("/t/a"));
  ASSERT_TRUE(one.ok());
  ASSERT_EQ(one->kvs.size(), 1u);
  EXPECT_EQ(one->kvs[0].value, "1");
  EXPECT_EQ(one->kvs[0].mod_revision, *rev);

  auto prefix = run_sync(client->get_prefix("/t/"));
  ASSERT_TRUE(prefix.ok());
  ASSERT_EQ(prefix->kvs.size(), 2u);
  EXPECT_EQ(prefix->kvs[1].key, "/t/b");
  EXPECT_GE(prefix->revision, *rev);

  EXPECT_EQ(*run_sync(client->erase("/t/a")), 1);
  EXPECT_EQ(*run_sync(client->erase("/t/a")), 0);
  EXPECT_EQ(*run_sync(client->erase_prefix("/")), 2);
  EXPECT_TRUE(run_sync(client->get_prefix("/"))->kvs.empty());
}

TEST_F(EtcdClientTest, LeaseKeysVanishOnRevoke) {
  auto lease = run_sync(client->grant(10s));
  ASSERT_TRUE(lease.ok()) << lease.status().message();
  EXPECT_EQ(lease->ttl, 10);
  ASSERT_TRUE(run_sync(client->put("/l/k", "v", lease->id)).ok());
  EXPECT_EQ(run_sync(client->get("/l/k"))->kvs.at(0).lease, lease->id);
  ASSERT_TRUE(run_sync(client->revoke(lease->id)).ok());
  EXPECT_TRUE(run_sync(client->get("/l/k"))->kvs.empty());
  EXPECT_TRUE(run_sync(client->revoke(lease->id)).ok()) << "revoking an unknown lease is not an error";
}

TEST_F(EtcdClientTest, PutOnUnknownLeaseFailsClearly) {
  auto r = run_sync(client->put("/l/k", "v", 12345));
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), svckit::StatusCode::NotFound);
  EXPECT_NE(r.status().message().find("lease not found"), std::string::npos) << r.status().message();
}

TEST_F(EtcdClientTest, KeepAliveRefreshesAndReportsLoss) {
  auto lease = run_sync(client->grant(3s));
  ASSERT_TRUE(lease.ok());
  std::atomic<int> refreshed{0};
  std::atomic<bool> lost{false};
  client->keep_alive(lease->id, 3s, [&](std::int64_t ttl) {
    if (ttl > 0) ++refreshed;
    else lost = true;
  });
  // Refreshes come every ttl/3; two of them carry the lease past its first expiry.
  ASSERT_TRUE(wait_until([&] { return refreshed >= 2; }, 10s));
  ASSERT_TRUE(run_sync(client->revoke(lease->id)).ok());
  EXPECT_TRUE(wait_until([&] { return lost.load(); }, 10s)) << "the next refresh learns the lease is gone";
}

TEST_F(EtcdClientTest, WatchesShareOneStreamAndSeeEventsInOrder) {
  WatchLog a, b;
  client->watch("/w/a/", true, 0, a.callback());
  client->watch("/w/b", false, 0, b.callback());
  // A watch is created asynchronously; wait until it delivers a first event we make.
  ASSERT_TRUE(wait_until([&] {
    (void)run_sync(client->put("/w/a/probe", "x"));
    return a.count() > 0;
  }));
  ASSERT_TRUE(wait_until([&] {
    (void)run_sync(client->put("/w/b", "probe"));
    return b.count() > 0;
  }));
  auto base_a = a.count();
  for (int i = 0; i < 20; ++i) ASSERT_TRUE(run_sync(client->put("/w/a/" + std::to_string(i), "v")).ok());
  ASSERT_TRUE(run_sync(client->erase("/w/a/3")).ok());
  ASSERT_TRUE(wait_until([&] { return a.count() == base_a + 21; }));
  std::lock_guard lock(a.state->mu);
  for (std::size_t i = base_a + 1; i < a.state->events.size(); ++i)
    EXPECT_LT(a.state->events[i - 1].kv.mod_revision, a.state->events[i].kv.mod_revision);
  EXPECT_EQ(a.state->events.back().type, WatchEvent::Type::Delete);
  EXPECT_EQ(a.state->events.back().kv.key, "/w/a/3");
  for (const auto& e : b.state->events) EXPECT_EQ(e.kv.key, "/w/b") << "a key watch sees only its key";
}

TEST_F(EtcdClientTest, WatchFromARevisionReplaysHistory) {
  auto first = *run_sync(client->put("/h/1", "a"));
  ASSERT_TRUE(run_sync(client->put("/h/2", "b")).ok());
  WatchLog log;
  client->watch("/h/", true, first, log.callback());
  ASSERT_TRUE(wait_until([&] { return log.count() == 2; }));
}

TEST_F(EtcdClientTest, WatchOnCompactedRevisionEndsWithOutOfRange) {
  auto first = *run_sync(client->put("/c/1", "a"));
  auto last = *run_sync(client->put("/c/1", "b"));
  ASSERT_TRUE(run_sync(client->compact(last)).ok());
  WatchLog log;
  client->watch("/c/", true, first, log.callback());
  ASSERT_TRUE(wait_until([&] {
    std::lock_guard lock(log.state->mu);
    return !log.state->statuses.empty();
  }));
  std::lock_guard lock(log.state->mu);
  EXPECT_EQ(log.state->statuses[0].code(), svckit::StatusCode::OutOfRange) << log.state->statuses[0].message();
}

TEST(EtcdClient, UnreachableEtcdGivesUnavailableWithinTheRequestTimeout) {
  // A port bound but not listening refuses connections, and no test running in parallel can take it.
  boost::asio::io_context io;
  boost::asio::ip::tcp::socket held(io);
  held.open(boost::asio::ip::tcp::v4());
  held.bind({boost::asio::ip::make_address("127.0.0.1"), 0});
  auto client = Client::create({.endpoints = {"127.0.0.1:" + std::to_string(held.local_endpoint().port())},
                                .request_timeout = 300ms});
  auto r = run_sync(client->get("/x"));
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), svckit::StatusCode::Unavailable) << r.status().message();
}

TEST(EtcdClient, AuthenticatesWithUserAndPassword) {
  svckit::test::EtcdCluster etcd(1);
  auto ctl = "etcdctl --endpoints=" + etcd.endpoints()[0] + " ";
  ASSERT_EQ(std::system((ctl + "user add root:rootpw >/dev/null").c_str()), 0);
  ASSERT_EQ(std::system((ctl + "auth enable >/dev/null").c_str()), 0);

  auto good = Client::create({.endpoints = etcd.endpoints(), .username = "root", .password = "rootpw"});
  ASSERT_TRUE(run_sync(good->put("/a/k", "v")).ok());
  EXPECT_EQ(run_sync(good->get("/a/k"))->kvs.at(0).value, "v");
  // Streams carry the token too.
  WatchLog log;
  good->watch("/a/", true, 0, log.callback());
  ASSERT_TRUE(wait_until([&] {
    (void)run_sync(good->put("/a/w", "x"));
    return log.count() > 0;
  }));

  auto anonymous = Client::create({.endpoints = etcd.endpoints(), .request_timeout = 1s});
  auto r = run_sync(anonymous->get("/a/k"));
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("user name is empty"), std::string::npos) << r.status().message();

  auto wrong = Client::create({.endpoints = etcd.endpoints(), .username = "root", .password = "nope", .request_timeout = 1s});
  auto w = run_sync(wrong->get("/a/k"));
  ASSERT_FALSE(w.ok());
  EXPECT_NE(w.status().message().find("authenticate as root"), std::string::npos) << w.status().message();
}

TEST(EtcdClient, TalksTlsVerifyingTheServerCertificate) {
  // A CA and a server certificate for 127.0.0.1, made with the openssl command-line tool.
  char tmpl[] = "/tmp/svckit-tls-XXXXXX";
  std::string dir = mkdtemp(tmpl);
  std::string script =
      "cd " + dir + " && openssl req -x509 -newkey rsa:2048 -nodes -keyout ca.key -out ca.pem -days 1 -subj /CN=svckit-test-ca"
      " && openssl req -newkey rsa:2048 -nodes -keyout server.key -out server.csr -subj /CN=127.0.0.1"
      " && printf 'subjectAltName=IP:127.0.0.1' > san.ext"
      " && openssl x509 -req -in server.csr -CA ca.pem -CAkey ca.key -CAcreateserial -out server.pem -days 1 -extfile san.ext"
      " && openssl req -x509 -newkey rsa:2048 -nodes -keyout other.key -out other.pem -days 1 -subj /CN=other-ca";
  ASSERT_EQ(std::system((script + " >/dev/null 2>&1").c_str()), 0);
  svckit::test::EtcdCluster etcd(1, {.ca_file = dir + "/ca.pem", .cert_file = dir + "/server.pem", .key_file = dir + "/server.key"});

  auto client = Client::create({.endpoints = etcd.endpoints(), .ca_file = dir + "/ca.pem"});
  ASSERT_TRUE(run_sync(client->put("/tls/k", "v")).ok());
  EXPECT_EQ(run_sync(client->get("/tls/k"))->kvs.at(0).value, "v");

  auto untrusting = Client::create({.endpoints = etcd.endpoints(), .ca_file = dir + "/other.pem", .request_timeout = 1s});
  EXPECT_EQ(run_sync(untrusting->get("/tls/k")).status().code(), svckit::StatusCode::Unavailable)
      << "a server certificate not signed by our CA is refused";
  auto plaintext = Client::create({.endpoints = etcd.endpoints(), .request_timeout = 1s});
  EXPECT_FALSE(run_sync(plaintext->get("/tls/k")).ok());
  EXPECT_THROW(Client::create({.endpoints = etcd.endpoints(), .ca_file = dir + "/missing.pem"}), std::invalid_argument);
  std::filesystem::remove_all(dir);
}

TEST(EtcdClient, MalformedEndpointIsRejected) {
  EXPECT_THROW(Client::create({.endpoints = {"no-port"}}), std::invalid_argument);
  EXPECT_THROW(Client::create({.endpoints = {}}), std::invalid_argument);
}

}  // namespace
