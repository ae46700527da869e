// zk:// against real ZooKeeper servers (Debian's zookeeperd): registration, discovery, go-kit's layout, a
// process killed or frozen past its session, the server restarted, malformed nodes, and the loss of an
// ensemble's leader.
#include <gtest/gtest.h>

#include <zookeeper/zookeeper.h>

#include <signal.h>

#include <filesystem>
#include <future>
#include <regex>

#include <boost/asio/post.hpp>

#include "sd/zk/client.hpp"
#include "support/instance_view.hpp"
#include "support/process.hpp"
#include "support/stringsvc.hpp"
#include "support/run.hpp"
#include "support/zookeeper.hpp"
#include "svckit/sd/registry.hpp"

namespace sd = svckit::sd;
using namespace std::chrono_literals;
using svckit::test::instance;
using svckit::test::View;
using svckit::test::wait_until;
using Strings = std::vector<std::string>;

namespace {

// Raw ZooKeeper access for what a registry user would not do: writing nodes the way go-kit or a careless
// operator does, deleting ours by hand.
class RawZk {
 public:
  explicit RawZk(const std::string& endpoint) : client_(sd::zk::Client::create({.hosts = {endpoint}})) {
    EXPECT_TRUE(wait_until([&] { return on_thread([&] { return client_->connected(); }); }, 10s));
  }
  int create_parents(const std::string& path) {
    return call<int>([&](auto done) { client_->create_parents(path, [done](int rc) { done(rc); }); });
  }
  int create(const std::string& path, const std::string& data) {
    create_parents(path);
    return call<int>([&](auto done) { client_->create(path, data, false, [done](int rc, std::string) { done(rc); }); });
  }
  int remove(const std::string& path) {
    return call<int>([&](auto done) { client_->remove(path, [done](int rc) { done(rc); }); });
  }
  Strings children(const std::string& path) {
    return call<Strings>([&](auto done) { client_->children(path, false, [done](int, Strings names) { done(std::move(names)); }); });
  }
  std::string get(const std::string& path) {
    return call<std::string>([&](auto done) { client_->get(path, [done](int, std::string data) { done(std::move(data)); }); });
  }

 private:
  template <class T, class Start>
  T call(Start start) {
    auto p = std::make_shared<std::promise<T>>();
    auto f = p->get_future();
    boost::asio::post(client_->executor(), [&, p] { start([p](T v) { p->set_value(std::move(v)); }); });
    if (f.wait_for(10s) != std::future_status::ready) throw std::runtime_error("ZooKeeper did not answer");
    return f.get();
  }
  template <class F>
  bool on_thread(F f) {
    auto p = std::make_shared<std::promise<bool>>();
    auto fut = p->get_future();
    boost::asio::post(client_->executor(), [p, f] { p->set_value(f()); });
    return fut.get();
  }
  std::shared_ptr<sd::zk::Client> client_;
};

class ZkRegistryTest : public ::testing::Test {
 protected:
  svckit::test::ZooKeeper zk_{1};
};

// Registered after register_instance(), gone at once after deregister(); nodes are go-kit's layout: an
// ephemeral sequential _c_<guid>-… under /services/<service>, data the bare address.
TEST_F(ZkRegistryTest, RegistersAndDeregistersInGoKitsLayout) {
  auto registry = sd::Registry::open(zk_.url());
  auto instancer = registry->instancer("users");
  View view(*instancer);
  auto a = registry->registrar("users", instance("127.0.0.1:7001"), 10s);
  auto meta = instance("127.0.0.1:7002");
  meta.weight = 3;
  meta.zone = "eu-1";
  auto b = registry->registrar("users", meta, 10s);
  a->register_instance();
  b->register_instance();
  ASSERT_TRUE(wait_until([&] { return view.addresses() == Strings{"127.0.0.1:7001", "127.0.0.1:7002"}; }, 10s));
  EXPECT_TRUE(wait_until([&] { return a->registered() && b->registered(); }));
  EXPECT_TRUE(view.status().ok());
  for (const auto& [key, inst] : view.set()) {
    EXPECT_TRUE(std::regex_match(key, std::regex("/services/users/_c_[0-9a-f]{32}-" + inst.address + "-[0-9]{10}"))) << key;
    if (inst.address == "127.0.0.1:7002") {
      EXPECT_EQ(inst.weight, 3);
      EXPECT_EQ(inst.zone, "eu-1");
    }
  }
  RawZk raw(zk_.server(0).endpoint());
  auto names = raw.children("/services/users");
  ASSERT_EQ(names.size(), 2u);
  std::sort(names.begin(), names.end(), [&](auto& x, auto& y) { return x.find("7001") != std::string::npos && y.find("7001") == std::string::npos; });
  EXPECT_EQ(raw.get("/services/users/" + names[0]), "127.0.0.1:7001") << "bare host:port: what go-kit's zk instancer reads";

  EXPECT_TRUE(a->deregister(2s).ok());
  EXPECT_FALSE(a->registered());
  EXPECT_TRUE(wait_until([&] { return view.addresses() == Strings{"127.0.0.1:7002"}; }));
  auto services = registry->services(2s);
  ASSERT_TRUE(services.ok()) << services.status().message();
  EXPECT_EQ(*services, Strings{"users"});
}

// Instances go-kit registered (its CreateProtectedEphemeralSequential names, plain address data) are found;
// a malformed node is skipped with a log line, never a crash, and the rest of the set stands.
TEST_F(ZkRegistryTest, ReadsGoKitNodesAndSkipsMalformedOnes) {
  RawZk raw(zk_.server(0).endpoint());
  ASSERT_EQ(raw.create("/services/notificator/_c_0123456789abcdef0123456789abcdef-instance0000000001", "10.0.0.1:80"), ZOK);
  auto registry = sd::Registry::open(zk_.url());
  auto instancer = registry->instancer("notificator");
  View view(*instancer);
  ASSERT_TRUE(wait_until([&] { return view.addresses() == Strings{"10.0.0.1:80"}; }, 10s));
  for (const std::string& bad : Strings{"garbage", "{\"addr\":5}", "", std::string(3000, 'x'), "10.0.0.9:99999"})
    EXPECT_EQ(raw.create("/services/notificator/bad" + std::to_string(bad.size()), bad), ZOK);
  ASSERT_EQ(raw.create("/services/notificator/good", "10.0.0.2:80"), ZOK);
  EXPECT_TRUE(wait_until([&] { return view.addresses() == Strings{"10.0.0.1:80", "10.0.0.2:80"}; }));
  EXPECT_TRUE(view.status().ok());
  // A node becoming valid later is not the point here; its removal is.
  EXPECT_EQ(raw.remove("/services/notificator/good"), ZOK);
  EXPECT_TRUE(wait_until([&] { return view.addresses() == Strings{"10.0.0.1:80"}; }));
}

// A service whose directory does not exist yet is an empty set (not an error), followed until the first
// instance creates it.
TEST_F(ZkRegistryTest, AServiceNobodyRegisteredYetIsEmptyUntilOneDoes) {
  auto registry = sd::Registry::open(zk_.url("/fleet"));
  auto instancer = registry->instancer("bugs");
  View view(*instancer);
  ASSERT_TRUE(wait_until([&] { return view.status().ok() && instancer->status().ok(); }, 10s));
  EXPECT_EQ(view.size(), 0u);
  auto r = registry->registrar("bugs", instance("127.0.0.1:7100"), 10s);
  r->register_instance();
  EXPECT_TRUE(wait_until([&] { return view.addresses() == Strings{"127.0.0.1:7100"}; }));
  EXPECT_TRUE(r->deregister(2s).ok());
}

// Our node deleted by hand (an operator's mistake, a cleanup script): it is created again.
TEST_F(ZkRegistryTest, ANodeDeletedByHandIsCreatedAgain) {
  auto registry = sd::Registry::open(zk_.url());
  auto instancer = registry->instancer("users");
  View view(*instancer);
  auto r = registry->registrar("users", instance("127.0.0.1:7001"), 10s);
  r->register_instance();
  ASSERT_TRUE(wait_until([&] { return view.size() == 1; }, 10s));
  const std::string first = view.set().begin()->first;
  RawZk raw(zk_.server(0).endpoint());
  ASSERT_EQ(raw.remove(first), ZOK);
  EXPECT_TRUE(wait_until([&] { return view.size() == 1 && view.set().begin()->first != first; }))
      << "registered again under a new sequence number";
  EXPECT_TRUE(r->registered());
}

// The server goes away: instancers keep the last set and say the registry is unreachable; when it is back
// (same data), the registration is there and the status is OK again.
TEST_F(ZkRegistryTest, ClientsKeepTheLastSetWhileTheServerIsDownAndRecover) {
  auto registry = sd::Registry::open(zk_.url("?session_timeout_ms=2000"));
  auto instancer = registry->instancer("users");
  View view(*instancer);
  auto r = registry->registrar("users", instance("127.0.0.1:7001"), 10s);
  r->register_instance();
  ASSERT_TRUE(wait_until([&] { return view.size() == 1 && view.status().ok(); }, 10s));

  zk_.server(0).stop();
  ASSERT_TRUE(wait_until([&] { return !view.status().ok(); }, 10s));
  EXPECT_EQ(view.addresses(), Strings{"127.0.0.1:7001"}) << "the last known set, while ZooKeeper is down";
  EXPECT_NE(view.status().message().find("zookeeper"), std::string::npos) << view.status().message();

  zk_.server(0).start();
  ASSERT_TRUE(zk_.wait_ready(60s)) << zk_.tail();
  EXPECT_TRUE(wait_until([&] { return view.status().ok() && view.addresses() == Strings{"127.0.0.1:7001"}; }, 30s))
      << view.status().message();
  EXPECT_TRUE(wait_until([&] { return r->registered(); }, 10s));
}

// A service process killed (SIGKILL: no deregistration) leaves the set when its session expires; one frozen
// (SIGSTOP: a GC pause, a migrated VM) past its session loses its node, and registers again when it thaws.
TEST_F(ZkRegistryTest, AKilledInstanceLeavesWithItsSessionAndAFrozenOneComesBack) {
  const std::string url = zk_.url("?session_timeout_ms=1000");
  auto registry = sd::Registry::open(url);
  auto instancer = registry->instancer("stringsvc");
  View view(*instancer);
  char tmpl[] = "/tmp/svckit-zk-svc-XXXXXX";
  const std::string dir = mkdtemp(tmpl);
  auto start = [&](const std::string& name) { return svckit::test::start_stringsvc(url, dir + "/" + name + ".log"); };
  auto killed = start("killed");
  auto frozen = start("frozen");
  ASSERT_TRUE(wait_until([&] { return view.size() == 2; }, 20s)) << killed->log() << frozen->log();
  const auto before = view.set();

  killed->signal(SIGKILL);
  EXPECT_TRUE(wait_until([&] { return view.size() == 1; }, 10s)) << "dropped once its session expired";

  ::kill(frozen->pid(), SIGSTOP);
  EXPECT_TRUE(wait_until([&] { return view.size() == 0; }, 10s)) << "frozen past its session: its node is gone";
  ::kill(frozen->pid(), SIGCONT);
  ASSERT_TRUE(wait_until([&] { return view.size() == 1; }, 20s)) << frozen->log();
  EXPECT_FALSE(before.contains(view.set().begin()->first)) << "a new node, of a new session";
  EXPECT_NE(frozen->log().find("registering again"), std::string::npos) << frozen->log();
  EXPECT_EQ(frozen->stop(), 0) << frozen->log();
  EXPECT_TRUE(wait_until([&] { return view.size() == 0; }, 5s)) << "deregistered at SIGTERM";
  EXPECT_EQ(frozen->fault(), "");
  std::filesystem::remove_all(dir);
}

// A three-server ensemble loses its leader: sessions move to the survivors, so the registration stays (no
// re-creation: the node and its session outlive the leader) and the instancer follows new registrations
// made after the election.
TEST(ZkEnsemble, RegistrationSurvivesTheLossOfTheLeader) {
  svckit::test::ZooKeeper zk(3);
  auto registry = sd::Registry::open(zk.url("?session_timeout_ms=2000"));
  auto instancer = registry->instancer("users");
  View view(*instancer);
  auto a = registry->registrar("users", instance("127.0.0.1:7001"), 10s);
  a->register_instance();
  ASSERT_TRUE(wait_until([&] { return view.size() == 1 && a->registered(); }, 20s)) << zk.tail();
  const auto key = view.set().begin()->first;

  std::size_t leader = zk.size();
  ASSERT_TRUE(wait_until([&] {
    for (std::size_t i = 0; i < zk.size(); ++i)
      if (zk.mode(i) == "leader") leader = i;
    return leader < zk.size();
  }, 20s)) << zk.tail();
  zk.server(leader).kill();
  auto b = registry->registrar("users", instance("127.0.0.1:7002"), 10s);
  b->register_instance();
  EXPECT_TRUE(wait_until([&] { return view.size() == 2 && view.status().ok(); }, 30s)) << zk.tail();
  EXPECT_TRUE(view.set().contains(key)) << "the first node outlived the leader, with its session";
  EXPECT_TRUE(a->registered());
  EXPECT_TRUE(a->deregister(5s).ok());
  EXPECT_TRUE(wait_until([&] { return view.size() == 1; }, 10s));
}

// A URL zk:// cannot use is refused at open with the reason.
TEST(ZkRegistryUrl, BadUrlsAreRefusedWithTheReason) {
  for (const char* bad : {"zk://", "zk:///services", "zk://h:1/services//x", "zk://h:1/a/../b", "zk://h:1?ttl=3",
                          "zk://h:1?session_timeout_ms=0", "zk://h:1?session_timeout_ms=x", "zk://h:1?session_timeout_ms=99999999"}) {
    EXPECT_THROW(sd::Registry::open(bad), std::invalid_argument) << bad;
  }
}

}  // namespace
