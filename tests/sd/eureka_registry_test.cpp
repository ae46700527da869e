// eureka:// against a Eureka server STAND-IN (tests/support/eureka_standin.py; Debian has no Eureka server):
// registration, renewals and leases, an instance killed, frozen or taken out of service, the server stopped
// and restarted with no state, Basic auth, and malformed instances.
#include <gtest/gtest.h>

#include <signal.h>

#include <filesystem>

#include "sd/eureka/application.hpp"
#include "support/instance_view.hpp"
#include "support/process.hpp"
#include "support/stringsvc.hpp"
#include "support/rest_standin.hpp"
#include "support/run.hpp"
#include "svckit/sd/registry.hpp"

namespace sd = svckit::sd;
using namespace std::chrono_literals;
using svckit::test::instance;
using svckit::test::View;
using svckit::test::wait_until;
using Strings = std::vector<std::string>;

namespace {

class EurekaRegistryTest : public ::testing::Test {
 protected:
  svckit::test::RestStandIn eureka_{"eureka"};
  int heartbeats() { return std::stoi("0" + eureka_.request("GET", "/debug/heartbeats")); }
};

// Registered under the upper-cased application name with its metadata (TLS → securePort), renewed while the
// lease would otherwise run out, deleted at deregister.
TEST_F(EurekaRegistryTest, RegistersRenewsAndDeregisters) {
  auto registry = sd::Registry::open(eureka_.url("/eureka?poll=100ms"));
  auto instancer = registry->instancer("users");
  View view(*instancer);
  auto meta = instance("127.0.0.1:7002");
  meta.weight = 3;
  meta.zone = "eu-1";
  meta.tls = true;
  auto a = registry->registrar("users", instance("127.0.0.1:7001"), 3s);
  auto b = registry->registrar("users", meta, 3s);
  a->register_instance();
  b->register_instance();
  ASSERT_TRUE(wait_until([&] { return view.addresses() == Strings{"127.0.0.1:7001", "127.0.0.1:7002"}; }, 10s)) << eureka_.log();
  EXPECT_TRUE(a->registered() && b->registered());
  for (const auto& [key, inst] : view.set()) {
    if (inst.address != "127.0.0.1:7002") continue;
    EXPECT_EQ(key, "127.0.0.1:users:7002");
    EXPECT_EQ(inst.weight, 3);
    EXPECT_EQ(inst.zone, "eu-1");
    EXPECT_TRUE(inst.tls);
  }
  auto stored = eureka_.request("GET", "/eureka/apps/USERS");
  EXPECT_NE(stored.find(R"("securePort": {"$": 7002, "@enabled": "true"})"), std::string::npos) << stored;
  // The stand-in evicts a lease 3 s after the last renewal: still there after two leases.
  EXPECT_TRUE(svckit::test::holds_for([&] { return view.size() == 2; }, 6s));
  EXPECT_GE(heartbeats(), 4);
  EXPECT_TRUE(a->deregister(2s).ok());
  EXPECT_TRUE(wait_until([&] { return view.addresses() == Strings{"127.0.0.1:7002"}; }));
  auto services = registry->services(2s);
  ASSERT_TRUE(services.ok()) << services.status().message();
  EXPECT_EQ(*services, Strings{"USERS"});
}

// A stringsvc killed stops renewing and is evicted when its lease runs out; one frozen past its lease is
// evicted too, and registers again when it thaws (its renewal answers 404); one taken OUT_OF_SERVICE by an
// operator leaves the set and comes back UP; SIGTERM deletes it at once.
TEST_F(EurekaRegistryTest, KilledFrozenAndOutOfServiceInstancesLeave) {
  const auto url = eureka_.url("/eureka?poll=100ms");
  auto registry = sd::Registry::open(url);
  auto instancer = registry->instancer("stringsvc");
  View view(*instancer);
  char tmpl[] = "/tmp/svckit-eureka-svc-XXXXXX";
  const std::string dir = mkdtemp(tmpl);
  auto start = [&](const std::string& name) {
    return svckit::test::start_stringsvc(url, dir + "/" + name + ".log", {"--register-ttl", "3"});
  };
  auto killed = start("killed");
  auto frozen = start("frozen");
  ASSERT_TRUE(wait_until([&] { return view.size() == 2; }, 20s)) << killed->log() << frozen->log() << eureka_.log();

  killed->signal(SIGKILL);
  EXPECT_TRUE(wait_until([&] { return view.size() == 1; }, 10s)) << "its lease ran out";

  const auto id = view.set().begin()->first;
  eureka_.request("PUT", "/eureka/apps/STRINGSVC/" + id + "/status?value=OUT_OF_SERVICE");
  EXPECT_TRUE(wait_until([&] { return view.size() == 0; }, 5s)) << "not UP: left out";
  eureka_.request("PUT", "/eureka/apps/STRINGSVC/" + id + "/status?value=UP");
  EXPECT_TRUE(wait_until([&] { return view.size() == 1; }, 5s));

  ::kill(frozen->pid(), SIGSTOP);
  EXPECT_TRUE(wait_until([&] { return view.size() == 0; }, 10s)) << "frozen past its lease: evicted";
  ::kill(frozen->pid(), SIGCONT);
  EXPECT_TRUE(wait_until([&] { return view.size() == 1; }, 10s)) << "thawed: its renewal is refused, it registers again\n" << frozen->log();
  EXPECT_EQ(frozen->stop(), 0) << frozen->log();
  EXPECT_TRUE(wait_until([&] { return view.size() == 0; }, 5s)) << "deleted at SIGTERM";
  EXPECT_EQ(frozen->fault(), "");
  std::filesystem::remove_all(dir);
}

// The server goes away: the last set stays, the status says why; it comes back with no state: the registrar
// registers again at its next renewal and the set is whole.
TEST_F(EurekaRegistryTest, AnOutageKeepsTheLastSetAndARestartedServerGetsUsBack) {
  auto registry = sd::Registry::open(eureka_.url("/eureka?poll=100ms"));
  auto instancer = registry->instancer("users");
  View view(*instancer);
  auto r = registry->registrar("users", instance("127.0.0.1:7001"), 3s);
  r->register_instance();
  ASSERT_TRUE(wait_until([&] { return view.size() == 1 && view.status().ok(); }, 10s));

  eureka_.stop();
  ASSERT_TRUE(wait_until([&] { return !view.status().ok(); }, 10s));
  EXPECT_EQ(view.addresses(), Strings{"127.0.0.1:7001"}) << "the last known set while eureka is down";
  eureka_.start();
  EXPECT_TRUE(wait_until([&] { return view.status().ok() && view.size() == 1; }, 15s)) << eureka_.log();
  EXPECT_TRUE(r->registered());
}

// A server that wants Basic auth: the URL's credentials are sent; without them, the status says 401.
TEST(EurekaAuth, CredentialsInTheUrlAreSentAsBasicAuth) {
  svckit::test::RestStandIn eureka("eureka", {"--credentials", "svc:s3cret"});
  auto good = sd::Registry::open("eureka://svc:s3cret@127.0.0.1:" + std::to_string(eureka.port()) + "/eureka?poll=100ms");
  auto r = good->registrar("users", instance("127.0.0.1:7001"), 3s);
  r->register_instance();
  auto seen = good->instancer("users");
  View view(*seen);
  EXPECT_TRUE(wait_until([&] { return view.size() == 1; }, 10s)) << eureka.log();

  auto anonymous = sd::Registry::open(eureka.url("/eureka?poll=100ms"));
  auto refused = anonymous->instancer("users");
  View none(*refused);
  ASSERT_TRUE(wait_until([&] { return !none.status().ok(); }, 10s));
  EXPECT_NE(none.status().message().find("401"), std::string::npos) << none.status().message();
  EXPECT_EQ(none.size(), 0u);
}

// Instances another client wrote badly are skipped with the reason; the rest stands. Hostile bytes are an
// error, never a crash; Eureka's older one-instance-as-an-object form is read.
TEST_F(EurekaRegistryTest, MalformedInstancesAreSkipped) {
  for (const char* bad : {R"({"instanceId":"x1","ipAddr":"127.0.0.1","status":"UP","port":{"$":0,"@enabled":"true"}})",
                          R"({"instanceId":"x2","ipAddr":"127.0.0.1","status":"UP","port":{"$":"70000","@enabled":true}})",
                          R"({"instanceId":"x3","ipAddr":"not an address","status":"UP","port":{"$":80,"@enabled":"true"}})",
                          R"({"instanceId":"x4","ipAddr":"127.0.0.1","status":"UP","port":{"$":81,"@enabled":"true"},"metadata":{"weight":"-1"}})",
                          R"({"instanceId":"x5","ipAddr":"127.0.0.1","status":"UP","port":{"$":"eighty","@enabled":"true"}})",
                          R"("just a string")"})
    eureka_.request("POST", "/debug/raw/users", bad);
  eureka_.request("POST", "/debug/raw/users", R"({"instanceId":"down","ipAddr":"127.0.0.1","status":"DOWN","port":{"$":83,"@enabled":"true"}})");
  eureka_.request("POST", "/debug/raw/users", R"({"instanceId":"ok","ipAddr":"127.0.0.1","status":"UP","port":{"$":"82","@enabled":"true"}})");
  auto registry = sd::Registry::open(eureka_.url("/eureka?poll=100ms"));
  auto instancer = registry->instancer("users");
  View view(*instancer);
  EXPECT_TRUE(wait_until([&] { return view.addresses() == Strings{"127.0.0.1:82"}; }, 10s));
  EXPECT_TRUE(view.status().ok());

  auto one = sd::eureka::parse_application(R"({"application":{"name":"U","instance":{"ipAddr":"::1","status":"UP","port":{"$":9,"@enabled":"true"}}}})");
  ASSERT_TRUE(one.ok());
  ASSERT_EQ(one->instances.size(), 1u);
  EXPECT_EQ(one->instances[0].address, "[::1]:9");
  auto parsed = sd::eureka::parse_application(R"({"application":{"instance":[1,{"status":"UP"}]}})");
  ASSERT_TRUE(parsed.ok());
  EXPECT_EQ(parsed->skipped.size(), 2u);
  for (const std::string& hostile : Strings{"", "[]", "{}", std::string(5 << 20, '{'), R"({"application":5})",
                                           "{\"application\":" + std::string(100, '[') + std::string(100, ']') + "}"}) {
    auto p = sd::eureka::parse_application(hostile);
    EXPECT_TRUE(!p.ok() || p->instances.empty()) << hostile.substr(0, 40);
  }
}

TEST(EurekaRegistryUrl, BadUrlsAreRefusedWithTheReason) {
  for (const char* bad : {"eureka://", "eureka://h:1?poll=10ms", "eureka://h:1?poll=11m", "eureka://h:1?poll=x",
                          "eureka://h:1?zone=a", "eureka://h:1/eu%20reka"})
    EXPECT_THROW(sd::Registry::open(bad), std::invalid_argument) << bad;
  auto r = sd::Registry::open("eureka://127.0.0.1:1/eureka/v2");
  EXPECT_THROW(r->instancer("a/b"), std::invalid_argument);
}

}  // namespace
