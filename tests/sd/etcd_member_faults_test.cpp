// The etcd client against a real 3-member cluster whose member the client talks to fails while a quorum
// stays: frozen (SIGSTOP: connections open, no answers), cut off from its peers (it answers, without a
// leader), or gone from the network (packets vanish). The client must leave it before a lease could lapse,
// and requests, refreshes and watches must go on through the other members.
#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <functional>
#include <mutex>

#include "support/etcd.hpp"
#include "support/etcd_fleet.hpp"
#include "support/run.hpp"
#include "svckit/sd/etcd/client.hpp"
#include "svckit/sd/etcd/registrar.hpp"

using namespace std::chrono_literals;
using svckit::sd::etcd::Client;
using svckit::sd::etcd::WatchUpdate;
using svckit::test::run_sync;
using svckit::test::wait_until;

namespace {

std::size_t index_of(const svckit::test::EtcdCluster& cluster, const std::string& endpoint) {
  auto eps = cluster.endpoints();
  return static_cast<std::size_t>(std::find(eps.begin(), eps.end(), endpoint) - eps.begin());
}

/// A client of the members other than `left_out` (so it never talks to a frozen one).
std::shared_ptr<Client> client_without(const svckit::test::EtcdCluster& cluster, std::size_t left_out) {
  std::vector<std::string> eps;
  for (std::size_t i = 0; i < cluster.size(); ++i)
    if (i != left_out) eps.push_back(cluster.endpoints()[i]);
  return Client::create({.endpoints = eps});
}

/// Keeps a lease alive and a watch open, applies fault(i) to the member i the client is on, and checks that
/// the lease outlives two TTLs of refreshes answered elsewhere and that the watch resumed on another member.
void expect_the_client_rides_out(svckit::test::EtcdCluster& cluster, const std::function<void(std::size_t)>& fault) {
  auto client = Client::create({.endpoints = cluster.endpoints()});
  constexpr auto ttl = 3s;
  auto lease = run_sync(client->grant(ttl));
  ASSERT_TRUE(lease.ok()) << lease.status().message();
  std::atomic<int> refreshed{0};
  std::atomic<bool> lost{false};
  client->keep_alive(lease->id, ttl, [&](std::int64_t left) {
    if (left > 0) ++refreshed;
    else lost = true;
  });
  std::mutex mu;
  std::vector<std::string> seen;
  auto start = run_sync(client->get_prefix("/fault/"));  // watch from a known revision: "now" races the put
  ASSERT_TRUE(start.ok()) << start.status().message();
  client->watch("/fault/", true, start->revision + 1, [&](const WatchUpdate& u) {
    std::lock_guard lock(mu);
    for (const auto& e : u.events) seen.push_back(e.kv.key);
  });
  auto saw = [&](const std::string& key) {
    std::lock_guard lock(mu);
    return std::find(seen.begin(), seen.end(), key) != seen.end();
  };
  ASSERT_TRUE(run_sync(client->put("/fault/before", "x", lease->id)).ok());
  ASSERT_TRUE(wait_until([&] { return saw("/fault/before") && refreshed >= 1; }, 10s));

  // The member every stream and request of the client is on (a follower or the leader: either way the
  // other two hold a quorum).
  std::size_t bad = index_of(cluster, client->member());
  ASSERT_LT(bad, cluster.size());
  fault(bad);
  auto observer = client_without(cluster, bad);

  int before = refreshed;
  // Two TTLs of refreshes after the fault: without a move to another member the lease would have lapsed.
  EXPECT_TRUE(wait_until([&] { return refreshed >= before + 6; }, 15s)) << "refreshes answered by another member";
  EXPECT_FALSE(lost.load()) << "the lease never lapsed";
  auto left = run_sync(observer->time_to_live(lease->id));
  EXPECT_TRUE(left.ok()) << left.status().message();
  EXPECT_NE(client->member(), cluster.endpoints()[bad]);

  // The watch moved too, and resumed where it was: a put made through the other members reaches it.
  ASSERT_TRUE(run_sync(observer->put("/fault/after", "y")).ok());
  EXPECT_TRUE(wait_until([&] { return saw("/fault/after"); }, 10s));
  std::lock_guard lock(mu);
  EXPECT_EQ(std::count(seen.begin(), seen.end(), "/fault/before"), 1) << "no event repeated after the move";
}

TEST(EtcdMemberFaults, AFrozenMemberCostsNoLeaseAndWatchesMoveOn) {
  svckit::test::EtcdCluster cluster(3);
  expect_the_client_rides_out(cluster, [&](std::size_t i) { cluster.member(i).pause(); });
}

TEST(EtcdMemberFaults, AMemberCutOffFromItsPeersCostsNoLease) {
  svckit::test::EtcdFleet fleet;
  // It still answers the client, but has no leader: refreshes go unanswered, streams end with "no leader".
  expect_the_client_rides_out(*fleet.cluster, [&](std::size_t i) { fleet.hosts[i]->cut(fleet.peers); });
}

TEST(EtcdMemberFaults, AMemberGoneFromTheNetworkCostsNoLease) {
  svckit::test::EtcdFleet fleet;
  // Its packets vanish: no refusal, no reset, only silence.
  expect_the_client_rides_out(*fleet.cluster, [&](std::size_t i) {
    fleet.hosts[i]->cut(fleet.peers);
    fleet.hosts[i]->cut(fleet.clients);
  });
}

TEST(EtcdMemberFaults, AfterEveryMemberWasFrozenPastTheTtlTheKeyIsBackWithinHalfASecond) {
  svckit::test::EtcdCluster cluster(3);
  auto client = Client::create({.endpoints = cluster.endpoints()});
  svckit::sd::Instance inst;
  inst.address = "10.0.0.9:80";
  inst.key = "/services/n/10.0.0.9:80";
  svckit::sd::etcd::Registrar registrar(client, inst, 2s);
  registrar.register_instance();
  ASSERT_TRUE(wait_until([&] { return registrar.registered(); }));
  auto first = registrar.lease();
  auto observer = Client::create({.endpoints = cluster.endpoints()});

  for (std::size_t i = 0; i < cluster.size(); ++i) cluster.member(i).pause();
  // The outage lasts until the registrar has gone a whole TTL without an answer: the lease has lapsed.
  ASSERT_TRUE(wait_until([&] { return !registrar.registered(); }, 10s));
  auto thawed = std::chrono::steady_clock::now();
  for (std::size_t i = 0; i < cluster.size(); ++i) cluster.member(i).resume();
  // etcd revokes the lapsed lease when it thaws; the registration must be back on a new lease at once.
  auto back = [&] {
    auto kv = run_sync(observer->get(inst.key));
    return kv.ok() && kv->kvs.size() == 1 && kv->kvs[0].lease != first;
  };
  ASSERT_TRUE(wait_until(back, 10s));
  auto took = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - thawed);
  EXPECT_LT(took, 500ms) << "the registration came back " << took.count() << " ms after etcd thawed";
}

TEST(EtcdMemberFaults, ARequestToAFrozenMemberIsAnsweredByAnother) {
  svckit::test::EtcdCluster cluster(3);
  auto client = Client::create({.endpoints = cluster.endpoints(), .request_timeout = 3s});
  ASSERT_TRUE(run_sync(client->put("/r/k", "v")).ok());
  std::size_t frozen = index_of(cluster, client->member());
  cluster.member(frozen).pause();
  auto start = std::chrono::steady_clock::now();
  auto r = run_sync(client->get("/r/k"));
  auto took = std::chrono::steady_clock::now() - start;
  ASSERT_TRUE(r.ok()) << r.status().message();
  EXPECT_EQ(r->kvs.at(0).value, "v");
  EXPECT_LT(took, 3s) << "the attempt on the frozen member gave up after a third of the request timeout";
  EXPECT_NE(client->member(), cluster.endpoints()[frozen]);
  cluster.member(frozen).resume();
}

TEST(EtcdMemberFaults, AKilledMemberIsLeftAtOnce) {
  svckit::test::EtcdCluster cluster(3);
  auto client = Client::create({.endpoints = cluster.endpoints()});
  ASSERT_TRUE(run_sync(client->put("/k/k", "v")).ok());
  std::size_t killed = index_of(cluster, client->member());
  cluster.member(killed).kill();
  auto r = run_sync(client->get("/k/k"));
  ASSERT_TRUE(r.ok()) << r.status().message();
  EXPECT_NE(client->member(), cluster.endpoints()[killed]);
}

TEST(EtcdMemberFaults, AMemberNamedByHostNameIsResolved) {
  svckit::test::EtcdCluster cluster(1);
  auto port = cluster.endpoints()[0].substr(cluster.endpoints()[0].rfind(':'));
  auto client = Client::create({.endpoints = {"localhost" + port}});
  ASSERT_TRUE(run_sync(client->put("/h/k", "v")).ok());
  EXPECT_EQ(run_sync(client->get("/h/k"))->kvs.at(0).value, "v");
  auto nowhere = Client::create({.endpoints = {"no-such-host.invalid:2379"}, .request_timeout = 500ms});
  EXPECT_EQ(run_sync(nowhere->get("/h/k")).status().code(), svckit::StatusCode::Unavailable);
}

}  // namespace
