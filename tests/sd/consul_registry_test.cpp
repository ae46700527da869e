// consul:// against a Consul agent STAND-IN (tests/support/consul_standin.py; Debian has no Consul server):
// registration with TTL, gRPC and HTTP health checks run for real, blocking queries and their index rules, an
// instance killed or frozen, the agent restarted with no state, and malformed entries.
#include <gtest/gtest.h>

#include <signal.h>

#include <filesystem>
#include <regex>

#include "sd/consul/health.hpp"
#include "support/consul.hpp"
#include "support/instance_view.hpp"
#include "support/process.hpp"
#include "support/stringsvc.hpp"
#include "support/run.hpp"
#include "svckit/sd/registry.hpp"

namespace sd = svckit::sd;
using namespace std::chrono_literals;
using svckit::test::instance;
using svckit::test::View;
using svckit::test::wait_until;
using Strings = std::vector<std::string>;

namespace {

// The body of an HTTP response as http_get returns it (headers and body).
std::string body_of(const std::string& response) {
  auto at = response.find("\r\n\r\n");
  return at == std::string::npos ? "" : response.substr(at + 4);
}

// The only instance in `view`, checked by the agent (gRPC or HTTP): frozen, it fails the check and leaves;
// thawed, it passes and comes back; stopped (SIGTERM), it deregisters, exiting 0 with no sanitizer report.
void expect_check_follows_a_freeze(View& view, svckit::test::Process& svc, const std::string& check) {
  ::kill(svc.pid(), SIGSTOP);
  EXPECT_TRUE(wait_until([&] { return view.size() == 0; }, 15s)) << "frozen: the agent's " << check << " check fails";
  ::kill(svc.pid(), SIGCONT);
  EXPECT_TRUE(wait_until([&] { return view.size() == 1; }, 15s)) << svc.log();
  EXPECT_EQ(svc.stop(), 0) << svc.log();
  EXPECT_TRUE(wait_until([&] { return view.size() == 0; }, 5s)) << "deregistered at SIGTERM";
  EXPECT_EQ(svc.fault(), "");
}

class ConsulRegistryTest : public ::testing::Test {
 protected:
  svckit::test::ConsulStandIn consul_;
};

// Registered with a TTL check that the registrar keeps passing: found among the passing instances, with its
// metadata; deregistered: gone at once.
TEST_F(ConsulRegistryTest, RegistersWithATtlCheckAndDeregisters) {
  auto registry = sd::Registry::open(consul_.url());
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
  ASSERT_TRUE(wait_until([&] { return view.addresses() == Strings{"127.0.0.1:7001", "127.0.0.1:7002"}; }, 10s)) << consul_.log();
  EXPECT_TRUE(a->registered() && b->registered());
  for (const auto& [key, inst] : view.set()) {
    if (inst.address != "127.0.0.1:7002") continue;
    EXPECT_EQ(inst.weight, 3);
    EXPECT_EQ(inst.zone, "eu-1");
    EXPECT_TRUE(inst.tls);
  }
  auto agent_view = consul_.get("/v1/agent/service/users-127.0.0.1:7001");
  EXPECT_NE(agent_view.find("\"Port\": 7001"), std::string::npos) << agent_view;
  // Still passing after two TTLs: the registrar passes its check.
  EXPECT_TRUE(svckit::test::holds_for([&] { return view.size() == 2; }, 6s));
  EXPECT_TRUE(a->deregister(2s).ok());
  EXPECT_TRUE(wait_until([&] { return view.addresses() == Strings{"127.0.0.1:7002"}; }));
  auto services = registry->services(2s);
  ASSERT_TRUE(services.ok()) << services.status().message();
  EXPECT_EQ(*services, Strings{"users"});
}

// A service process (stringsvc) killed: its TTL check is no longer passed and it leaves the passing set. One
// registered with a gRPC check: the agent asks its grpc.health.v1 service; frozen, it fails the check and
// leaves; thawed, it passes and comes back.
TEST_F(ConsulRegistryTest, ChecksDropAKilledInstanceAndAFrozenOneUntilItThaws) {
  auto registry = sd::Registry::open(consul_.url());
  auto instancer = registry->instancer("stringsvc");
  View view(*instancer);
  char tmpl[] = "/tmp/svckit-consul-svc-XXXXXX";
  const std::string dir = mkdtemp(tmpl);
  auto start = [&](const std::string& name, const std::string& url) {
    return svckit::test::start_stringsvc(url, dir + "/" + name + ".log", {"--register-ttl", "3"});
  };
  auto ttl = start("ttl", consul_.url("?check=ttl"));
  auto grpc = start("grpc", consul_.url("?check=grpc"));
  ASSERT_TRUE(wait_until([&] { return view.size() == 2; }, 20s)) << ttl->log() << grpc->log() << consul_.log();

  ttl->signal(SIGKILL);
  EXPECT_TRUE(wait_until([&] { return view.size() == 1; }, 10s)) << "its TTL ran out";

  expect_check_follows_a_freeze(view, *grpc, "gRPC");
  std::filesystem::remove_all(dir);
}

// check=http: the agent GETs the instance's /healthz on its debug listener, whose address the registrar
// learns from the runner. Frozen, the instance fails the check and leaves; thawed, it is back. A registrar
// with no health address to give the agent is refused with the reason.
TEST_F(ConsulRegistryTest, AnHttpCheckAsksTheDebugListenersHealthz) {
  auto registry = sd::Registry::open(consul_.url("?check=http"));
  try {
    registry->registrar("users", instance("127.0.0.1:7001"), 3s);
    ADD_FAILURE() << "a check=http registrar without a health address was accepted";
  } catch (const std::invalid_argument& e) {
    EXPECT_NE(std::string(e.what()).find("health address"), std::string::npos) << e.what();
  }
  auto instancer = registry->instancer("stringsvc");
  View view(*instancer);
  char tmpl[] = "/tmp/svckit-consul-http-XXXXXX";
  const std::string dir = mkdtemp(tmpl);
  auto svc = svckit::test::start_stringsvc(consul_.url("?check=http"), dir + "/svc.log", {"--register-ttl", "3"});
  ASSERT_TRUE(wait_until([&] { return view.size() == 1; }, 20s)) << svc->log() << consul_.log();

  // The check the agent ran is the HTTP one, on the debug listener (not the HTTP or gRPC service port).
  std::smatch debug;
  const std::string log = svc->log();
  ASSERT_TRUE(std::regex_search(log, debug, std::regex("server=\"debug (127\\.0\\.0\\.1:[0-9]+)\""))) << log;
  const auto health = consul_.get("/v1/health/service/stringsvc");
  EXPECT_NE(health.find("HTTP GET http://" + debug[1].str() + "/healthz: 200"), std::string::npos) << health;

  expect_check_follows_a_freeze(view, *svc, "HTTP");
  std::filesystem::remove_all(dir);
}

// The agent goes away: the last set stays, the status says why; it comes back with no state (an agent
// restarted afresh): the registrar registers again and the set is whole.
TEST_F(ConsulRegistryTest, AnAgentOutageKeepsTheLastSetAndARestartedAgentGetsUsBack) {
  auto registry = sd::Registry::open(consul_.url("?wait=2s"));
  auto instancer = registry->instancer("users");
  View view(*instancer);
  auto r = registry->registrar("users", instance("127.0.0.1:7001"), 3s);
  r->register_instance();
  ASSERT_TRUE(wait_until([&] { return view.size() == 1 && view.status().ok(); }, 10s));

  consul_.stop();
  ASSERT_TRUE(wait_until([&] { return !view.status().ok(); }, 10s));
  EXPECT_EQ(view.addresses(), Strings{"127.0.0.1:7001"}) << "the last known set while consul is down";
  consul_.start();
  EXPECT_TRUE(wait_until([&] { return view.status().ok() && view.size() == 1; }, 20s)) << consul_.log();
  EXPECT_NE(consul_.get("/v1/agent/service/users-127.0.0.1:7001").find("200 OK"), std::string::npos)
      << "registered again with the agent that forgot it";
}

// Consul's index rules: an index that goes backwards (a snapshot restore) starts over, and an agent that
// answers index 0 (no blocking possible) is not hammered.
TEST_F(ConsulRegistryTest, IndexRulesNeitherMissChangesNorHammerTheAgent) {
  auto registry = sd::Registry::open(consul_.url("?wait=2s"));
  auto instancer = registry->instancer("users");
  View view(*instancer);
  auto a = registry->registrar("users", instance("127.0.0.1:7001"), 10s);
  a->register_instance();
  ASSERT_TRUE(wait_until([&] { return view.size() == 1; }, 10s));

  consul_.put("/debug/index/1");  // backwards, below what the instancer has seen
  auto b = registry->registrar("users", instance("127.0.0.1:7002"), 10s);
  b->register_instance();
  EXPECT_TRUE(wait_until([&] { return view.size() == 2; }, 10s)) << "the change after the index went backwards is seen";

  consul_.put("/debug/index-zero/1");
  auto queries = [&] { return std::stoi(body_of(consul_.get("/debug/queries"))); };
  const auto before = queries();
  const auto since = std::chrono::steady_clock::now();
  // Over 3 s the count stays within about one question a second (a loop would ask thousands of times).
  EXPECT_TRUE(svckit::test::holds_for([&] {
    const auto elapsed = std::chrono::duration<double>(std::chrono::steady_clock::now() - since).count();
    return queries() - before <= 2 + 1.5 * elapsed;
  }, 3s)) << "with index 0 the instancer asks about once a second, not in a loop";
  EXPECT_TRUE(wait_until([&] { return queries() > before; }, 5s)) << "and still asks";
  auto c = registry->registrar("users", instance("127.0.0.1:7003"), 10s);
  c->register_instance();
  EXPECT_TRUE(wait_until([&] { return view.size() == 3; }, 5s)) << "changes still arrive";
}

// Entries an agent (or whoever registered there) holds that are no usable instance are skipped with the
// reason; the rest stands. Hostile bytes from the agent are an error, never a crash.
TEST_F(ConsulRegistryTest, MalformedEntriesAreSkipped) {
  for (const char* bad : {R"({"ID":"x1","Name":"users","Address":"127.0.0.1","Port":0})",
                          R"({"ID":"x2","Name":"users","Address":"127.0.0.1","Port":70000})",
                          R"({"ID":"x3","Name":"users","Address":"not an address:","Port":80})",
                          R"({"ID":"x4","Name":"users","Address":"127.0.0.1","Port":81,"Meta":{"weight":"-1"}})"})
    consul_.put("/v1/agent/service/register", bad);
  consul_.put("/v1/agent/service/register", R"({"ID":"ok","Name":"users","Address":"127.0.0.1","Port":82})");
  auto registry = sd::Registry::open(consul_.url());
  auto instancer = registry->instancer("users");
  View view(*instancer);
  EXPECT_TRUE(wait_until([&] { return view.addresses() == Strings{"127.0.0.1:82"}; }, 10s));
  EXPECT_TRUE(view.status().ok());

  for (const std::string& hostile : Strings{"", "{}", "[1,2]", std::string(5 << 20, '['), "[{\"Service\":{\"ID\":5}}]",
                                           "[" + std::string(100, '[') + std::string(100, ']') + "]"}) {
    auto parsed = sd::consul::parse_health_entries(hostile);
    EXPECT_TRUE(!parsed.ok() || parsed->instances.empty()) << hostile.substr(0, 40);
  }
}

// An agent with ACLs on: the token given as the URL's password is sent with every request (registration,
// TTL passes, blocking queries); without it the agent answers 403 and the status says so.
TEST(ConsulAcl, TheTokenInTheUrlIsSentAndWithoutItTheAgentRefuses) {
  svckit::test::ConsulStandIn consul({"--acl-token", "6f1c2a9e-token"});
  auto good = sd::Registry::open("consul://acl:6f1c2a9e-token@127.0.0.1:" + std::to_string(consul.port()));
  auto r = good->registrar("users", instance("127.0.0.1:7001"), 3s);
  r->register_instance();
  auto seen = good->instancer("users");
  View view(*seen);
  EXPECT_TRUE(wait_until([&] { return view.size() == 1 && r->registered(); }, 10s)) << consul.log();
  EXPECT_TRUE(svckit::test::holds_for([&] { return view.size() == 1; }, 4s)) << "the TTL passes carry the token too";

  auto anonymous = sd::Registry::open(consul.url());
  auto refused = anonymous->instancer("users");
  View none(*refused);
  ASSERT_TRUE(wait_until([&] { return !none.status().ok(); }, 10s));
  EXPECT_NE(none.status().message().find("403"), std::string::npos) << none.status().message();
  EXPECT_EQ(none.size(), 0u);
}

// Several agents in the URL: requests go to the one that answered last. When it dies they move to the next,
// which never heard of the instance: the registrar's next TTL pass there answers 404, so it registers again,
// and the watchers follow. A registry whose first agent is down from the start uses the next at once.
TEST(ConsulAgents, WhenTheAgentInUseDiesTheNextIsAskedAndTheRegistrationMovesThere) {
  svckit::test::ConsulStandIn a, b;
  const std::string id_path = "/v1/agent/service/users-127.0.0.1:7001";
  const std::string url = "consul://127.0.0.1:" + std::to_string(a.port()) + ",127.0.0.1:" + std::to_string(b.port()) + "?wait=2s";
  auto registry = sd::Registry::open(url);
  auto instancer = registry->instancer("users");
  View view(*instancer);
  auto r = registry->registrar("users", instance("127.0.0.1:7001"), 3s);
  r->register_instance();
  ASSERT_TRUE(wait_until([&] { return view.size() == 1 && view.status().ok(); }, 10s)) << a.log();
  EXPECT_NE(a.get(id_path).find("200 OK"), std::string::npos) << "the first agent is asked first";
  EXPECT_EQ(b.get(id_path).find("200 OK"), std::string::npos);

  a.stop();
  EXPECT_TRUE(wait_until([&] { return b.get(id_path).find("200 OK") != std::string::npos; }, 10s))
      << "registered again with the next agent: " << b.log();
  EXPECT_TRUE(wait_until([&] { return view.status().ok() && view.addresses() == Strings{"127.0.0.1:7001"}; }, 10s))
      << view.status().message();

  auto late = sd::Registry::open(url);  // its first agent is down from the start
  auto late_r = late->registrar("users", instance("127.0.0.1:7002"), 3s);
  late_r->register_instance();
  EXPECT_TRUE(wait_until([&] { return view.addresses() == Strings{"127.0.0.1:7001", "127.0.0.1:7002"}; }, 10s));
  EXPECT_TRUE(late_r->deregister(2s).ok());
  EXPECT_TRUE(r->deregister(2s).ok());
  EXPECT_TRUE(wait_until([&] { return view.size() == 0; }, 10s));
}

TEST(ConsulRegistryUrl, BadUrlsAreRefusedWithTheReason) {
  for (const char* bad : {"consul://", "consul://h:1/path", "consul://h:1?check=tcp", "consul://h:1?check_path=healthz",
                          "consul://h:1?check_path=/a%20b", "consul://h:1?wait=0s",
                          "consul://h:1?wait=11m", "consul://h:1?token=x", "consul://acl:@h:1"})
    EXPECT_THROW(sd::Registry::open(bad), std::invalid_argument) << bad;
  auto r = sd::Registry::open("consul://127.0.0.1:1");
  EXPECT_THROW(r->instancer("a/b"), std::invalid_argument);
}

}  // namespace
