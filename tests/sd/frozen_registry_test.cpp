// A registry server that freezes (SIGSTOP: a stalled JVM, a VM paused, a disk that hangs) keeps its sockets
// open and answers nothing. Clients must not wait for ever: the instancer reports the registry unreachable
// and keeps serving the last set, registrars keep trying, and when the server thaws — having expired leases
// and sessions while its clock jumped — both come back whole. For the HTTP registries (Consul, Eureka, Nacos
// stand-ins: Debian has none of their servers) and ZooKeeper (the real server).
#include <gtest/gtest.h>

#include <signal.h>

#include "support/instance_view.hpp"
#include "support/rest_standin.hpp"
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

// Frozen for `frozen` past the first sign of it, then thawed: the view keeps its set throughout and is whole
// and healthy again after.
void freeze_and_thaw(sd::Registry& registry, pid_t server, std::chrono::seconds detect, std::chrono::seconds frozen,
                     const std::string& logs) {
  auto instancer = registry.instancer("users");
  View view(*instancer);
  auto r = registry.registrar("users", instance("127.0.0.1:7001"), 3s);
  r->register_instance();
  ASSERT_TRUE(wait_until([&] { return view.size() == 1 && view.status().ok(); }, 10s)) << logs;

  ::kill(server, SIGSTOP);
  EXPECT_TRUE(wait_until([&] { return !view.status().ok(); }, detect)) << "a frozen server is reported, not waited on";
  EXPECT_TRUE(svckit::test::holds_for([&] { return view.addresses() == Strings{"127.0.0.1:7001"}; }, frozen))
      << "the last set is served while the registry is frozen";
  ::kill(server, SIGCONT);
  // The thawed server may first expire what it held (the set empties for a moment): within 20 s the set is
  // whole, healthy and registered, and stays so for 2 s.
  auto whole = [&] { return view.status().ok() && view.addresses() == Strings{"127.0.0.1:7001"} && r->registered(); };
  EXPECT_TRUE(wait_until([&] { return svckit::test::holds_for(whole, 2s); }, 20s)) << view.status().message();
}

class FrozenHttpRegistry : public ::testing::TestWithParam<const char*> {
 protected:
  svckit::test::RestStandIn server_{GetParam()};
};

TEST_P(FrozenHttpRegistry, TheLastSetIsServedAndRegistrationsComeBackAfterTheThaw) {
  const std::string scheme = GetParam();
  // Consul: blocking queries of 2 s give up 10 s after their wait; Eureka and Nacos: polls give up after 5 s.
  auto registry = sd::Registry::open(server_.url(scheme == "consul" ? "?wait=2s" : scheme == "eureka" ? "/eureka?poll=100ms" : "?poll=100ms"));
  freeze_and_thaw(*registry, server_.process().pid(), scheme == "consul" ? 20s : 10s, 5s, server_.log());
}

INSTANTIATE_TEST_SUITE_P(Schemes, FrozenHttpRegistry, ::testing::Values("consul", "eureka", "nacos"));

TEST(FrozenZooKeeper, TheLastSetIsServedAndRegistrationsComeBackAfterTheThaw) {
  svckit::test::ZooKeeper zk(1);
  auto registry = sd::Registry::open(zk.url("?session_timeout_ms=2000"));
  // Frozen past the session timeout: the thawed server expires the session; a new one registers again.
  freeze_and_thaw(*registry, zk.server(0).pid(), 10s, 4s, zk.tail());
}

}  // namespace
