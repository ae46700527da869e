// Registrar and Instancer against a real etcd: what one service announces, the others see.
#include <gtest/gtest.h>

#include <condition_variable>
#include <filesystem>
#include <fstream>
#include <map>
#include <mutex>

#include <boost/asio/io_context.hpp>
#include <boost/json.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/post.hpp>

#include "svckit/log.hpp"
#include "svckit/metrics/registry.hpp"
#include "svckit/sd/etcd/registry.hpp"
#include "svckit/sd/registry.hpp"
#include "support/etcd.hpp"
#include "support/instance_view.hpp"
#include "support/run.hpp"
#include "svckit/sd/etcd/instancer.hpp"
#include "svckit/sd/etcd/registrar.hpp"

using namespace std::chrono_literals;
using svckit::sd::Instance;
using svckit::sd::InstanceUpdate;
using svckit::sd::etcd::Client;
using svckit::test::run_sync;
using svckit::test::wait_until;
namespace etcd = svckit::sd::etcd;

using svckit::test::View;

namespace {

Instance instance(const std::string& addr, const std::string& service = "users") {
  Instance i;
  i.key = svckit::sd::etcd::service_prefix("/services/", service) + addr;
  i.address = addr;
  return i;
}

class EtcdRegistryTest : public ::testing::Test {
 protected:
  svckit::test::EtcdCluster etcd{1};
  std::shared_ptr<Client> client = Client::create({.endpoints = etcd.endpoints()});
};

TEST_F(EtcdRegistryTest, RegisterAndDeregisterAreSeenByAWatcher) {
  auto watcher_client = Client::create({.endpoints = etcd.endpoints()});
  auto instancer = etcd::Instancer::create(watcher_client, "/services/users/");
  View view(*instancer);

  etcd::Registrar a(client, instance("10.0.0.1:80")), b(client, instance("10.0.0.2:80"));
  a.register_instance();
  b.register_instance();
  ASSERT_TRUE(wait_until([&] { return view.size() == 2; }));
  EXPECT_EQ(view.set().at("/services/users/10.0.0.1:80").address, "10.0.0.1:80");
  EXPECT_TRUE(wait_until([&] { return a.registered(); })) << "set once the put is acknowledged to us";

  // go-kit's layout: key = prefix + address, value = the bare address.
  auto kv = run_sync(client->get("/services/users/10.0.0.1:80"));
  ASSERT_EQ(kv->kvs.size(), 1u);
  EXPECT_EQ(kv->kvs[0].value, "10.0.0.1:80");
  EXPECT_EQ(kv->kvs[0].lease, a.lease());

  ASSERT_TRUE(a.deregister(5s).ok());
  EXPECT_FALSE(a.registered());
  ASSERT_TRUE(wait_until([&] { return view.size() == 1; }));
  EXPECT_TRUE(view.has("/services/users/10.0.0.2:80"));
  EXPECT_TRUE(view.status().ok());
}

TEST_F(EtcdRegistryTest, MetadataIsWrittenAsJsonAndReadBack) {
  auto instancer = etcd::Instancer::create(client, "/services/users/");
  View view(*instancer);
  auto inst = instance("10.0.0.3:80");
  inst.weight = 5;
  inst.zone = "eu-1";
  etcd::Registrar r(client, inst);
  r.register_instance();
  ASSERT_TRUE(wait_until([&] { return view.size() == 1; }));
  EXPECT_EQ(view.set().begin()->second, inst);
}

TEST_F(EtcdRegistryTest, LeaseExpiresWhenTheOwnerStopsKeepingItAlive) {
  // An owner that dies without deregistering (as after SIGKILL): its lease is no longer refreshed.
  auto instancer = etcd::Instancer::create(client, "/services/users/");
  View view(*instancer);
  auto lease = run_sync(client->grant(2s));
  ASSERT_TRUE(run_sync(client->put("/services/users/10.0.0.9:80", "10.0.0.9:80", lease->id)).ok());
  ASSERT_TRUE(wait_until([&] { return view.size() == 1; }));
  EXPECT_TRUE(wait_until([&] { return view.size() == 0; }, 10s)) << "etcd expires the lease after its TTL";
}

TEST_F(EtcdRegistryTest, KeyDeletedByHandIsPutBack) {
  auto instancer = etcd::Instancer::create(client, "/services/users/");
  View view(*instancer);
  etcd::Registrar r(client, instance("10.0.0.4:80"));
  r.register_instance();
  ASSERT_TRUE(wait_until([&] { return view.size() == 1 && r.registered(); }));
  ASSERT_EQ(*run_sync(client->erase("/services/users/10.0.0.4:80")), 1);
  ASSERT_TRUE(wait_until([&] { return run_sync(client->get("/services/users/10.0.0.4:80"))->kvs.size() == 1; }));
  EXPECT_TRUE(wait_until([&] { return view.size() == 1; }));
}

// The value of a counter in the process-wide metrics registry (what /metrics serves).
double counter(const std::string& name, std::vector<std::string> labels, const svckit::metrics::LabelValues& values) {
  return svckit::metrics::default_registry().counter(name, "", std::move(labels)).with(values).value();
}

TEST_F(EtcdRegistryTest, RevokedLeaseIsReplacedByANewOne) {
  const double regrants_before = counter("svckit_registry_lease_regrants_total", {"key"}, {"/services/users/10.0.0.5:80"});
  etcd::Registrar r(client, instance("10.0.0.5:80"), 5s);
  r.register_instance();
  ASSERT_TRUE(wait_until([&] { return r.registered(); }));
  auto old_lease = r.lease();
  ASSERT_TRUE(run_sync(client->revoke(old_lease)).ok());
  ASSERT_TRUE(wait_until([&] { return r.registered() && r.lease() != 0 && r.lease() != old_lease; }, 10s));
  auto kv = run_sync(client->get("/services/users/10.0.0.5:80"));
  ASSERT_EQ(kv->kvs.size(), 1u);
  EXPECT_EQ(kv->kvs[0].lease, r.lease());
  EXPECT_EQ(counter("svckit_registry_lease_regrants_total", {"key"}, {"/services/users/10.0.0.5:80"}), regrants_before + 1);
}

// Issue 31: a lost lease is granted again at once, not after a backoff (each moment without the key is a
// moment callers may find no instance). The backoff here is 8 s (jittered down to 4 s at least).
TEST_F(EtcdRegistryTest, ALostLeaseIsGrantedAgainAtOnce) {
  auto slow_backoff = Client::create({.endpoints = etcd.endpoints(), .backoff_initial = 8000ms, .backoff_max = 8000ms});
  etcd::Registrar r(slow_backoff, instance("10.0.0.9:80"), 5s);
  r.register_instance();
  ASSERT_TRUE(wait_until([&] { return r.registered(); }));
  auto old_lease = r.lease();
  ASSERT_TRUE(run_sync(client->revoke(old_lease)).ok());
  EXPECT_TRUE(wait_until([&] { return r.registered() && r.lease() != 0 && r.lease() != old_lease; }, 2s))
      << "not registered again within 2 s: it waited the backoff";
}

TEST_F(EtcdRegistryTest, MalformedValuesAreSkippedAndValidOnesKept) {
  auto events = [](const char* type) {
    return counter("svckit_registry_watch_events_total", {"prefix", "type"}, {"/services/users/", type});
  };
  const double malformed_before = events("malformed"), put_before = events("put");
  ASSERT_TRUE(run_sync(client->put("/services/users/good:1", "10.0.0.6:80")).ok());
  ASSERT_TRUE(run_sync(client->put("/services/users/bad-initial", "not an address")).ok());
  auto instancer = etcd::Instancer::create(client, "/services/users/");
  View view(*instancer);
  ASSERT_TRUE(wait_until([&] { return view.size() == 1; }));
  for (const char* bad : {"{\"addr\":42}", "{not json", "host-without-port", "{\"addr\":\"h:1\",\"weight\":0}"})
    ASSERT_TRUE(run_sync(client->put("/services/users/bad-" + std::string(bad), bad)).ok());
  ASSERT_TRUE(run_sync(client->put("/services/users/good:2", "{\"addr\":\"10.0.0.7:80\"}")).ok());
  ASSERT_TRUE(wait_until([&] { return view.size() == 2; }));
  EXPECT_TRUE(view.has("/services/users/good:2"));
  // A valid instance whose value turns to garbage leaves the set.
  ASSERT_TRUE(run_sync(client->put("/services/users/good:1", "garbage")).ok());
  EXPECT_TRUE(wait_until([&] { return view.size() == 1; }));
  EXPECT_TRUE(view.status().ok());
  // Seen through the watch (the two initial values came with the first read, not as events).
  EXPECT_EQ(events("malformed"), malformed_before + 5);
  EXPECT_EQ(events("put"), put_before + 1);
}

// The instancer's last owner drops it while the client's thread is inside its watch callback. Dropping must
// wait for that callback: were the callback to finish the release, the client (whose only owner the
// instancer is) would be released on its own thread, where it cannot be joined — it used to be leaked, and
// a process exiting meanwhile could abort in gRPC (seen in `svckit watch`).
TEST_F(EtcdRegistryTest, DroppingAnInstancerWaitsForItsCallbackSoTheClientIsReleasedByItsOwner) {
  std::mutex mu;
  std::condition_variable cv;
  bool in_callback = false, released = false, callback_returned = false, leaked = false;
  svckit::log::configure(svckit::log::Level::Info, svckit::log::Format::Logfmt, [&](std::string_view line) {
    std::unique_lock lock(mu);
    if (line.find("released on its own thread") != std::string_view::npos) leaked = true;
    if (line.find("skipping malformed registry value") == std::string_view::npos) return;
    // The watch callback is logging: hold it there until the owner has let go (at most 1 s).
    in_callback = true;
    cv.notify_all();
    cv.wait_for(lock, 1s, [&] { return released; });
    callback_returned = true;
  });
  auto own = Client::create({.endpoints = etcd.endpoints()});
  auto instancer = etcd::Instancer::create(own, "/services/gate/");
  own.reset();  // the instancer is the client's only owner now
  ASSERT_TRUE(wait_until([&] { return instancer->revision() > 0; }));
  ASSERT_TRUE(run_sync(client->put("/services/gate/bad", "not an address")).ok());
  {
    std::unique_lock lock(mu);
    ASSERT_TRUE(cv.wait_for(lock, 10s, [&] { return in_callback; }));
  }
  instancer.reset();  // the callback is still running
  bool returned_before_release;
  {
    std::lock_guard lock(mu);
    returned_before_release = callback_returned;
    released = true;
    cv.notify_all();
  }
  svckit::log::configure(svckit::log::Level::Info, svckit::log::Format::Logfmt);
  EXPECT_TRUE(returned_before_release) << "the instancer was released while its callback still ran";
  EXPECT_FALSE(leaked) << "the etcd client was released on its own thread";
}

// How many threads of this process are named name (/proc/self/task/*/comm).
static int threads_named(const std::string& name) {
  int n = 0;
  for (const auto& task : std::filesystem::directory_iterator("/proc/self/task")) {
    std::ifstream comm(task.path() / "comm");
    std::string line;
    if (std::getline(comm, line) && line == name) ++n;
  }
  return n;
}

// Issue 29: a Registrar dropped on the client's own thread together with the client's last owner left its
// withdraw running through a freed Client (a heap-use-after-free under ASan); the client was leaked too. Now
// the client closes once the withdraw has finished: the key is revoked and the client's thread ends.
TEST_F(EtcdRegistryTest, AClientReleasedOnItsOwnThreadFinishesTheWithdrawThenCloses) {
  ASSERT_TRUE(run_sync(client->get("/ready")).ok());
  // The fixture's client thread names itself once it runs, which an answer does not wait for.
  ASSERT_TRUE(wait_until([&] { return threads_named("etcd-client") == 1; }));
  const int before = threads_named("etcd-client");
  auto own = Client::create({.endpoints = etcd.endpoints()});
  auto registrar = std::make_unique<etcd::Registrar>(own, instance("10.0.0.9:80"));
  registrar->register_instance();
  ASSERT_TRUE(wait_until([&] { return registrar->registered(); }));
  ASSERT_EQ(threads_named("etcd-client"), before + 1);
  auto on_its_thread = own->executor();
  boost::asio::post(on_its_thread, [c = std::move(own), r = std::move(registrar)]() mutable {
    r.reset();  // starts the withdraw on this thread
    c.reset();  // the client's last owner, on the client's own thread
  });
  EXPECT_TRUE(wait_until([&] { return run_sync(client->get("/services/users/10.0.0.9:80"))->kvs.empty(); }, 10s))
      << "the withdraw revoked the lease";
  EXPECT_TRUE(wait_until([&] { return threads_named("etcd-client") == before; }, 10s)) << "the client's thread ended";
}

TEST_F(EtcdRegistryTest, SlowSubscriberDoesNotHoldBackOthers) {
  auto instancer = etcd::Instancer::create(client, "/services/users/");
  boost::asio::io_context stuck;  // never run: this subscriber's deliveries just queue (coalesced)
  auto sub = instancer->subscribe(stuck.get_executor(), [](const InstanceUpdate&) {});
  View view(*instancer);
  for (int i = 0; i < 50; ++i)
    ASSERT_TRUE(run_sync(client->put("/services/users/10.0.1." + std::to_string(i) + ":80",
                                     "10.0.1." + std::to_string(i) + ":80")).ok());
  EXPECT_TRUE(wait_until([&] { return view.size() == 50; }));
  EXPECT_LE(stuck.poll(), 1u) << "one coalesced delivery waits for the stuck subscriber, not fifty";
}

TEST_F(EtcdRegistryTest, CompactionWhileDisconnectedEndsInARelistWithTheRightSet) {
  // The instancer's client talks to member 0 of a 3-member cluster; while member 0 is down the others
  // change the set and compact the history; when member 0 returns the watch cannot resume and re-lists.
  svckit::test::EtcdCluster cluster(3);
  auto near = Client::create({.endpoints = {cluster.member(0).endpoint()}});
  auto far = Client::create({.endpoints = {cluster.member(1).endpoint(), cluster.member(2).endpoint()}});
  ASSERT_TRUE(run_sync(far->put("/services/users/a:1", "10.0.0.1:1")).ok());
  ASSERT_TRUE(run_sync(far->put("/services/users/b:1", "10.0.0.2:1")).ok());
  auto instancer = etcd::Instancer::create(near, "/services/users/");
  View view(*instancer);
  ASSERT_TRUE(wait_until([&] { return view.size() == 2; }));

  cluster.member(0).kill();
  ASSERT_TRUE(wait_until([&] { return !view.status().ok(); }, 20s)) << "the lost stream is published";
  EXPECT_EQ(view.size(), 2u) << "the last known set is kept";
  cluster.wait_healthy();  // the other two have elected a leader
  auto erased = run_sync(far->erase("/services/users/a:1"));
  ASSERT_TRUE(erased.ok()) << erased.status().message();
  auto rev = run_sync(far->put("/services/users/c:1", "10.0.0.3:1"));
  ASSERT_TRUE(rev.ok());
  ASSERT_TRUE(run_sync(far->compact(*rev)).ok());
  cluster.member(0).restart();

  ASSERT_TRUE(wait_until([&] { return view.has("/services/users/c:1") && !view.has("/services/users/a:1"); }, 30s));
  EXPECT_EQ(view.size(), 2u);
  EXPECT_TRUE(wait_until([&] { return view.status().ok(); }));
}

TEST_F(EtcdRegistryTest, AClusterRestoredFromAnOlderSnapshotIsReadAgain) {
  // etcd restored from a snapshot goes back to that snapshot's revision, and new writes reuse revisions a
  // watch has already passed: resuming after them would never deliver those writes. The instancer must
  // notice the history went back and read the registry again.
  svckit::test::EtcdCluster cluster(1);
  auto& member = cluster.member(0);
  auto writer = Client::create({.endpoints = cluster.endpoints()});
  ASSERT_TRUE(run_sync(writer->put("/services/users/a:1", "10.0.0.1:1")).ok());
  const std::string snapshot = (member.data_dir().parent_path() / "snapshot.db").string();
  const std::string ctl = "etcdctl --endpoints=" + member.endpoint();
  ASSERT_EQ(std::system((ctl + " snapshot save " + snapshot + " >/dev/null 2>&1").c_str()), 0);
  auto reader = Client::create({.endpoints = cluster.endpoints()});
  auto instancer = etcd::Instancer::create(reader, "/services/users/");
  View view(*instancer);
  for (auto key : {"b:1", "c:1", "e:1"}) ASSERT_TRUE(run_sync(writer->put(std::string("/services/users/") + key, "10.0.0.2:1")).ok());
  ASSERT_TRUE(wait_until([&] { return view.size() == 4; }));

  member.kill();
  std::filesystem::remove_all(member.data_dir());
  auto peer_url = member.initial_cluster().substr(member.initial_cluster().find('=') + 1);
  ASSERT_EQ(std::system(("etcdctl snapshot restore " + snapshot + " --name " + member.name() + " --data-dir " +
                         member.data_dir().string() + " --initial-cluster " + member.initial_cluster() +
                         " --initial-advertise-peer-urls " + peer_url + " --initial-cluster-token svckit-test >/dev/null 2>&1")
                            .c_str()),
            0);
  member.restart();
  cluster.wait_healthy();
  // A write after the restore, at a revision the watch had already passed.
  ASSERT_TRUE(run_sync(writer->put("/services/users/d:1", "10.0.0.4:1")).ok());
  EXPECT_TRUE(wait_until([&] { return view.has("/services/users/d:1") && view.size() == 2; }, 20s))
      << "the view is the restored registry (a:1) plus the write made after it (d:1)";
  EXPECT_FALSE(view.has("/services/users/b:1"));
}

TEST(EtcdCluster, RegistrationSurvivesTheLossOfTheLeader) {
  svckit::test::EtcdCluster cluster(3);
  auto client = Client::create({.endpoints = cluster.endpoints()});
  auto checker = Client::create({.endpoints = cluster.endpoints()});
  etcd::Registrar r(client, instance("10.0.0.8:80"), 2s);
  r.register_instance();
  ASSERT_TRUE(wait_until([&] { return r.registered(); }));
  auto lease = r.lease();
  int leader = -1;
  ASSERT_TRUE(wait_until([&] { return (leader = cluster.leader()) >= 0; }, 10s));
  cluster.member(static_cast<std::size_t>(leader)).kill();
  cluster.wait_healthy();
  // Three TTLs: without keepalives reaching the new leader the lease would expire and the key vanish.
  auto same = [&] {
    auto kv = run_sync(checker->get("/services/users/10.0.0.8:80"));
    return kv.ok() && kv->kvs.size() == 1 && kv->kvs[0].lease == lease;
  };
  EXPECT_TRUE(wait_until(same, 10s));
  EXPECT_TRUE(svckit::test::holds_for(same, 6s)) << "same key, same lease, kept alive through the new leader";
  EXPECT_TRUE(r.registered());
}

TEST(EtcdRestart, ClientsServeFromCacheAndRegistrationsComeBack) {
  svckit::test::EtcdCluster cluster(1);
  auto client = Client::create({.endpoints = cluster.endpoints()});
  auto watcher = Client::create({.endpoints = cluster.endpoints()});
  etcd::Registrar r(client, instance("10.0.0.9:80"));  // the default 10 s TTL
  r.register_instance();
  auto instancer = etcd::Instancer::create(watcher, "/services/users/");
  View view(*instancer);
  ASSERT_TRUE(wait_until([&] { return view.size() == 1 && view.status().ok(); }));

  cluster.member(0).stop();
  ASSERT_TRUE(wait_until([&] { return !view.status().ok(); }, 10s));
  EXPECT_EQ(view.status().code(), svckit::StatusCode::Unavailable);
  // etcd down for 30 s, three times the lease TTL: subscribers keep the last known set all along.
  EXPECT_TRUE(svckit::test::holds_for([&] { return view.size() == 1; }, 30s));

  cluster.member(0).restart();
  cluster.wait_healthy();
  EXPECT_TRUE(wait_until([&] { return view.status().ok(); }, 15s)) << "the watch resumed";
  auto present = [&] {
    auto kv = run_sync(client->get("/services/users/10.0.0.9:80"));
    return kv.ok() && kv->kvs.size() == 1;
  };
  ASSERT_TRUE(wait_until(present, 15s)) << "registered again without restarting the service";
  EXPECT_TRUE(svckit::test::holds_for(present, 12s)) << "and kept alive past a whole TTL";
  EXPECT_TRUE(view.has("/services/users/10.0.0.9:80"));
}

}  // namespace

// go-micro's etcd registry: one key per node under /micro/registry/<service>/, the value its registry.Service
// JSON. With ?format=go-micro svckit reads those (so it can call go-micro services) and writes its own
// instances the same way (so go-micro's readers find svckit's).
TEST_F(EtcdRegistryTest, GoMicroServicesAreFoundAndSvckitRegistersTheirWay) {
  const std::string go_value =
      R"({"name":"greeter","version":"1.2.0","metadata":null,"endpoints":[{"name":"Greeter.Hello","request":null,"response":null,"metadata":{}}],)"
      R"("nodes":[{"id":"greeter-5c4e0d6c","address":"10.0.0.7:8080","metadata":{"broker":"http","protocol":"grpc","registry":"etcd","server":"grpc","transport":"grpc","secure":"true"}}]})";
  ASSERT_TRUE(run_sync(client->put("/micro/registry/greeter/greeter-5c4e0d6c", go_value)).ok());
  ASSERT_TRUE(run_sync(client->put("/micro/registry/greeter/broken", R"({"name":"greeter","nodes":[]})")).ok());
  auto registry = svckit::sd::Registry::open(etcd.url() + "?format=go-micro");
  auto instancer = registry->instancer("greeter");
  View view(*instancer);
  ASSERT_TRUE(wait_until([&] { return view.size() == 1; }));
  const auto found = view.set().begin()->second;
  EXPECT_EQ(found.address, "10.0.0.7:8080");
  EXPECT_EQ(found.version, "1.2.0");
  EXPECT_EQ(found.transport, "grpc");
  EXPECT_TRUE(found.tls) << "\"secure\":\"true\"";

  auto mine = instance("10.0.0.8:9090");
  mine.version = "2.0.0";
  auto r = registry->registrar("greeter", mine, 10s);
  r->register_instance();
  ASSERT_TRUE(wait_until([&] { return view.size() == 2; }));
  auto got = run_sync(client->get_prefix("/micro/registry/greeter/greeter-10.0.0.8:9090"));
  ASSERT_TRUE(got.ok());
  ASSERT_EQ(got->kvs.size(), 1u);
  EXPECT_NE(got->kvs[0].lease, 0) << "on a lease, as go-micro's own nodes are";
  // What go-micro's decode reads: the service's name and version, the node's id and address.
  auto v = boost::json::parse(got->kvs[0].value).as_object();
  EXPECT_EQ(v.at("name").as_string(), "greeter");
  EXPECT_EQ(v.at("version").as_string(), "2.0.0");
  const auto& node = v.at("nodes").as_array().at(0).as_object();
  EXPECT_EQ(node.at("id").as_string(), "greeter-10.0.0.8:9090");
  EXPECT_EQ(node.at("address").as_string(), "10.0.0.8:9090");
  EXPECT_TRUE(r->deregister(2s).ok());
  EXPECT_TRUE(wait_until([&] { return view.size() == 1; }));
  EXPECT_THROW(svckit::sd::Registry::open(etcd.url() + "?format=go-kit-v9"), std::invalid_argument);
}
