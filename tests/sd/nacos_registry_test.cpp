// nacos:// against a Nacos server STAND-IN (tests/support/nacos_standin.py; Debian has no Nacos server):
// registration, beats and the server's health checks, namespaces, an instance killed, frozen or disabled, the
// server stopped and restarted with no state, and malformed instances.
#include <gtest/gtest.h>

#include <signal.h>

#include <filesystem>

#include "sd/nacos/instances.hpp"
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

class NacosRegistryTest : public ::testing::Test {
 protected:
  svckit::test::RestStandIn nacos_{"nacos"};
  int beats() { return std::stoi("0" + nacos_.request("GET", "/debug/beats")); }
  // Every instance the server holds for the service, healthy or not.
  std::string held(const std::string& service) {
    return nacos_.request("GET", "/nacos/v1/ns/instance/list?serviceName=DEFAULT_GROUP@@" + service);
  }
};

// Registered with its metadata and weight, kept healthy by beats past its TTL, deregistered at once; another
// namespace does not see it.
TEST_F(NacosRegistryTest, RegistersBeatsAndDeregisters) {
  auto registry = sd::Registry::open(nacos_.url("?poll=100ms"));
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
  ASSERT_TRUE(wait_until([&] { return view.addresses() == Strings{"127.0.0.1:7001", "127.0.0.1:7002"}; }, 10s)) << nacos_.log();
  EXPECT_TRUE(a->registered() && b->registered());
  for (const auto& [key, inst] : view.set()) {
    if (inst.address != "127.0.0.1:7002") continue;
    EXPECT_EQ(inst.weight, 300) << "Nacos's weight 3 × 100";
    EXPECT_EQ(inst.zone, "eu-1");
    EXPECT_TRUE(inst.tls);
  }
  EXPECT_NE(held("users").find(R"("preserved.heart.beat.timeout": "3000")"), std::string::npos) << held("users");
  // The server marks an instance unhealthy 3 s after its last beat: still there after two TTLs.
  EXPECT_TRUE(svckit::test::holds_for([&] { return view.size() == 2; }, 6s));
  EXPECT_GE(beats(), 8);

  auto dev = sd::Registry::open(nacos_.url("?namespace=dev&poll=100ms"));
  auto dev_instancer = dev->instancer("users");
  View dev_view(*dev_instancer);
  auto c = dev->registrar("users", instance("127.0.0.1:7003"), 3s);
  c->register_instance();
  EXPECT_TRUE(wait_until([&] { return dev_view.addresses() == Strings{"127.0.0.1:7003"}; }, 10s)) << "namespace dev holds its own";
  EXPECT_EQ(view.size(), 2u) << "the public namespace does not see dev's";

  EXPECT_TRUE(a->deregister(2s).ok());
  EXPECT_TRUE(wait_until([&] { return view.addresses() == Strings{"127.0.0.1:7002"}; }));
  auto services = registry->services(2s);
  ASSERT_TRUE(services.ok()) << services.status().message();
  EXPECT_EQ(*services, Strings{"users"});
}

// A stringsvc killed stops beating: unhealthy at its TTL, gone from the set. One frozen until the server has
// deleted it registers again when it thaws (its beat answers 20404); one disabled by an operator leaves the set
// and comes back when enabled; SIGTERM deregisters it at once.
TEST_F(NacosRegistryTest, KilledFrozenAndDisabledInstancesLeave) {
  const auto url = nacos_.url("?poll=100ms");
  auto registry = sd::Registry::open(url);
  auto instancer = registry->instancer("stringsvc");
  View view(*instancer);
  char tmpl[] = "/tmp/svckit-nacos-svc-XXXXXX";
  const std::string dir = mkdtemp(tmpl);
  auto start = [&](const std::string& name) {
    return svckit::test::start_stringsvc(url, dir + "/" + name + ".log", {"--register-ttl", "3"});
  };
  auto killed = start("killed");
  auto frozen = start("frozen");
  ASSERT_TRUE(wait_until([&] { return view.size() == 2; }, 20s)) << killed->log() << frozen->log() << nacos_.log();

  killed->signal(SIGKILL);
  EXPECT_TRUE(wait_until([&] { return view.size() == 1; }, 10s)) << "no beats: unhealthy";

  const auto address = view.addresses().front();
  const auto colon = address.rfind(':');
  const std::string which = "serviceName=DEFAULT_GROUP@@stringsvc&ip=127.0.0.1&port=" + address.substr(colon + 1);
  nacos_.request("PUT", "/nacos/v1/ns/instance?" + which + "&enabled=false");
  EXPECT_TRUE(wait_until([&] { return view.size() == 0; }, 5s)) << "disabled: left out";
  nacos_.request("PUT", "/nacos/v1/ns/instance?" + which + "&enabled=true");
  EXPECT_TRUE(wait_until([&] { return view.size() == 1; }, 5s));

  ::kill(frozen->pid(), SIGSTOP);
  EXPECT_TRUE(wait_until([&] { return view.size() == 0; }, 10s)) << "frozen: unhealthy";
  EXPECT_TRUE(wait_until([&] { return held("stringsvc").find(address.substr(colon + 1)) == std::string::npos; }, 15s))
      << "and deleted after twice its TTL";
  ::kill(frozen->pid(), SIGCONT);
  EXPECT_TRUE(wait_until([&] { return view.size() == 1; }, 10s)) << "thawed: its beat is refused, it registers again\n" << frozen->log();
  EXPECT_EQ(frozen->stop(), 0) << frozen->log();
  EXPECT_TRUE(wait_until([&] { return view.size() == 0; }, 5s)) << "deregistered at SIGTERM";
  EXPECT_EQ(frozen->fault(), "");
  std::filesystem::remove_all(dir);
}

// The server goes away: the last set stays, the status says why; it comes back with no state: the registrar's
// next beat is refused and it registers again.
TEST_F(NacosRegistryTest, AnOutageKeepsTheLastSetAndARestartedServerGetsUsBack) {
  auto registry = sd::Registry::open(nacos_.url("?poll=100ms"));
  auto instancer = registry->instancer("users");
  View view(*instancer);
  auto r = registry->registrar("users", instance("127.0.0.1:7001"), 3s);
  r->register_instance();
  ASSERT_TRUE(wait_until([&] { return view.size() == 1 && view.status().ok(); }, 10s));

  nacos_.stop();
  ASSERT_TRUE(wait_until([&] { return !view.status().ok(); }, 10s));
  EXPECT_EQ(view.addresses(), Strings{"127.0.0.1:7001"}) << "the last known set while nacos is down";
  nacos_.start();
  EXPECT_TRUE(wait_until([&] { return view.status().ok() && view.size() == 1; }, 15s)) << nacos_.log();
  EXPECT_TRUE(r->registered());
}

// Hosts another client wrote badly are skipped with the reason; the rest stands. Hostile bytes are an error,
// never a crash.
TEST_F(NacosRegistryTest, MalformedInstancesAreSkipped) {
  for (const char* bad : {R"({"instanceId":"x1","ip":"127.0.0.1","port":0})", R"({"instanceId":"x2","ip":"127.0.0.1","port":70000})",
                          R"({"instanceId":"x3","ip":"not an address","port":80})",
                          R"({"instanceId":"x4","ip":"127.0.0.1","port":81,"weight":-1})",
                          R"({"instanceId":"x5","ip":"127.0.0.1","port":"82"})", R"({"instanceId":"x6","ip":"127.0.0.1","port":84,"metadata":{"tls":"true","weight":"x"},"weight":1e300})",
                          R"(["not", "an object"])"})
    nacos_.request("POST", "/debug/raw?serviceName=DEFAULT_GROUP@@users", bad);
  nacos_.request("POST", "/debug/raw?serviceName=DEFAULT_GROUP@@users", R"({"instanceId":"off","ip":"127.0.0.1","port":83,"enabled":false})");
  nacos_.request("POST", "/debug/raw?serviceName=DEFAULT_GROUP@@users", R"({"instanceId":"ok","ip":"127.0.0.1","port":82,"weight":0.5})");
  auto registry = sd::Registry::open(nacos_.url("?poll=100ms"));
  auto instancer = registry->instancer("users");
  View view(*instancer);
  ASSERT_TRUE(wait_until([&] { return view.addresses() == Strings{"127.0.0.1:82"}; }, 10s));
  EXPECT_EQ(view.set().begin()->second.weight, 50);
  EXPECT_TRUE(view.status().ok());

  EXPECT_FALSE(*sd::nacos::beat_known(R"({"code":20404})"));
  EXPECT_TRUE(*sd::nacos::beat_known(R"({"clientBeatInterval":5000})"));
  EXPECT_FALSE(sd::nacos::beat_known("ok").ok());
  for (const std::string& hostile : Strings{"", "[]", "{}", std::string(5 << 20, '{'), R"({"hosts":5})",
                                           "{\"hosts\":" + std::string(100, '[') + std::string(100, ']') + "}"}) {
    auto p = sd::nacos::parse_instance_list(hostile);
    EXPECT_TRUE(!p.ok() || p->instances.empty()) << hostile.substr(0, 40);
  }
}

// A server with auth on: the URL's credentials log in, the accessToken rides on every request, and a token
// that stops working (expired, revoked) is replaced by logging in again — registration and discovery go on.
// Wrong credentials: the status says the login was refused.
TEST(NacosAuth, CredentialsLogInAndARevokedTokenIsReplaced) {
  svckit::test::RestStandIn nacos("nacos", {"--credentials", "svc:s3cret"});
  auto registry = sd::Registry::open("nacos://svc:s3cret@127.0.0.1:" + std::to_string(nacos.port()) + "?poll=100ms");
  auto r = registry->registrar("users", instance("127.0.0.1:7001"), 3s);
  r->register_instance();
  auto seen = registry->instancer("users");
  View view(*seen);
  ASSERT_TRUE(wait_until([&] { return view.size() == 1 && view.status().ok() && r->registered(); }, 10s)) << nacos.log();
  auto logins = [&] { return std::stoi("0" + nacos.request("GET", "/debug/logins")); };
  const int before = logins();
  nacos.request("POST", "/debug/revoke-tokens");
  EXPECT_TRUE(wait_until([&] { return logins() > before; }, 5s)) << "logged in again";
  // Beats and polls keep working past a TTL: the instance stays healthy and listed.
  EXPECT_TRUE(svckit::test::holds_for([&] { return view.size() == 1 && view.status().ok(); }, 4s)) << view.status().message();

  auto wrong = sd::Registry::open("nacos://svc:guess@127.0.0.1:" + std::to_string(nacos.port()) + "?poll=100ms");
  auto refused = wrong->instancer("users");
  View none(*refused);
  ASSERT_TRUE(wait_until([&] { return !none.status().ok(); }, 10s));
  EXPECT_NE(none.status().message().find("nacos login as svc: HTTP 403"), std::string::npos) << none.status().message();
  EXPECT_EQ(none.size(), 0u);
}

// A login's answer is hostile input too: a token lifetime of 2^63-1 seconds (the renewal time computed from it
// used to overflow: UBSan stops the process) is capped and works; answers with no usable token are an error in
// the status, with nothing found and no crash.
TEST(NacosAuth, HostileLoginAnswersAreErrorsNotCrashes) {
  svckit::test::RestStandIn nacos("nacos", {"--credentials", "svc:s3cret", "--token-ttl", "9223372036854775807"});
  const std::string server = "nacos://svc:s3cret@127.0.0.1:" + std::to_string(nacos.port());
  auto registry = sd::Registry::open(server + "?poll=100ms");
  auto r = registry->registrar("users", instance("127.0.0.1:7001"), 3s);
  r->register_instance();
  auto seen = registry->instancer("users");
  View view(*seen);
  ASSERT_TRUE(wait_until([&] { return view.size() == 1 && view.status().ok() && r->registered(); }, 10s)) << nacos.log();

  int fresh = 0;
  for (const std::string& answer : Strings{"not json", R"({"accessToken":""})", R"({"accessToken":5,"tokenTtl":-1})",
                                           R"({"accessToken":")" + std::string(5000, 'a') + R"("})", std::string(100, '['), "[]"}) {
    nacos.request("POST", "/debug/login-answer", answer);
    // Another URL each time: one opened again while held is the same registry, already logged in.
    auto other = sd::Registry::open(server + "?poll=" + std::to_string(100 + ++fresh) + "ms");
    auto instancer = other->instancer("users");
    View none(*instancer);
    EXPECT_TRUE(wait_until([&] { return !none.status().ok(); }, 10s)) << answer.substr(0, 40);
    EXPECT_NE(none.status().message().find("nacos login answer"), std::string::npos) << none.status().message();
    EXPECT_EQ(none.size(), 0u);
  }
}

TEST(NacosRegistryUrl, BadUrlsAreRefusedWithTheReason) {
  for (const char* bad : {"nacos://", "nacos://h:1?poll=10ms", "nacos://h:1?namespace=", "nacos://h:1?group=a/b",
                          "nacos://h:1?token=x", "nacos://h:1/na%20cos"})
    EXPECT_THROW(sd::Registry::open(bad), std::invalid_argument) << bad;
  auto r = sd::Registry::open("nacos://127.0.0.1:1/nacos?namespace=dev&group=G&cluster=C");
  EXPECT_THROW(r->instancer("a/b"), std::invalid_argument);
}

}  // namespace
