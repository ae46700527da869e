// The svckit CLI (ls, watch, call) against the bug tracker's notificators in a real etcd. It runs in every
// build, the ASan+UBSan one included, so a memory error or leak in the CLI fails here: a sanitizer report
// makes the command exit non-zero and is looked for in what it printed.
#include <gtest/gtest.h>

#include <fstream>

#include "support/build_paths.hpp"
#include "support/certs.hpp"
#include "support/dnsmasq.hpp"
#include "support/etcd_fleet.hpp"
#include "support/rest_standin.hpp"
#include "support/zookeeper.hpp"
#include "svckit/sd/etcd/client.hpp"
#include "tracker.hpp"

using namespace std::chrono_literals;
using svckit::test::run_command;
using svckit::test::wait_until;

namespace {

#ifdef SVCKIT_HAS_CLI

class CliTest : public svckit::test::TrackerTest {
 protected:
  /// Runs `svckit ARGS` (against the test's registry unless ARGS names --registry) and checks that no
  /// sanitizer spoke.
  svckit::test::CommandResult cli(const std::string& args, bool with_registry = true) {
    // Bounded: a CLI that hangs fails here, naming the command (exit 124), instead of stalling the suite.
    auto r = run_command("timeout 30 " + svckit::test::paths::svckit_cli() + (with_registry ? " --registry '" + registry_url() + "'" : "") +
                         " " + args);
    EXPECT_NE(r.exit_code, 124) << "svckit " << args << " did not finish in 30 s:\n" << r.output;
    for (const char* report : {"AddressSanitizer", "LeakSanitizer", "runtime error:", "terminate called"})
      EXPECT_EQ(r.output.find(report), std::string::npos) << args << ":\n" << r.output;
    return r;
  }
  static std::string proto() { return "--proto " + svckit::test::paths::source_dir() + "/examples/bugtracker/proto/notificator.proto"; }
  std::string port_of(const std::string& name) { return std::to_string(service(name).grpc); }
  // ls, watch and call on whatever registry the test runs: they see and reach the registered notificators.
  // A registry that services cannot write (dns+srv://) is told by the test what has started.
  virtual void published(const std::string& /*name*/) {}

  void ls_watch_and_call() {
    start_notificator("n1");
    published("n1");
    auto ls = cli("ls notificator");
    EXPECT_EQ(ls.exit_code, 0) << ls.output;
    EXPECT_NE(ls.output.find("127.0.0.1:" + port_of("n1")), std::string::npos) << ls.output;

    // watch prints the current set, then exits after the one change we make.
    const std::string watch_log = dir_ + "/watch.log";
    svckit::test::Process watch({svckit::test::paths::svckit_cli(), "--registry", registry_url(), "watch", "notificator", "--count", "1"}, watch_log);
    ASSERT_TRUE(wait_until([&] { return watch.log().find(port_of("n1")) != std::string::npos; }, 10s)) << watch.log();
    start_notificator("n2");
    published("n2");
    EXPECT_TRUE(wait_until([&] { return !watch.alive(); }, 15s)) << "watch never saw n2: " << watch.log();
    EXPECT_EQ(watch.ended(), "exit code 0") << watch.log();
    EXPECT_NE(watch.log().find("added    127.0.0.1:" + port_of("n2")), std::string::npos) << watch.log();

    auto call = cli("call notificator/SendEmail '{\"email\":\"ann@example.com\",\"content\":\"hi\"}' " + proto());
    EXPECT_EQ(call.exit_code, 0) << call.output;
    EXPECT_NE(call.output.find("\"id\":\""), std::string::npos) << call.output;
    EXPECT_TRUE(wait_until([&] { return outbox_count("n1", "ann@example.com") + outbox_count("n2", "ann@example.com") == 1; }, 5s));
  }
};

// etcd named by a host name that moves: the member it named is cut off and the name now resolves to another
// member. `svckit watch`, running on a host whose /etc/hosts the test rewrites, must follow the name there.
TEST(CliOnAFleet, WatchFollowsAnEtcdNameThatMovesToAnotherMember) {
  svckit::test::EtcdFleet fleet;
  auto& hosts = fleet.hosts;
  auto& clients = fleet.clients;
  svckit::test::NetHost desk("desk");
  desk.join(clients);
  {
    auto& cluster = *fleet.cluster;
    auto etcd = svckit::sd::etcd::Client::create({.endpoints = cluster.endpoints()});
    ASSERT_TRUE(svckit::test::run_sync(etcd->put("/services/notificator/10.0.0.1:80", "10.0.0.1:80")).ok());

    desk.set_hosts(hosts[0]->address(clients) + " etcd-a\n");
    char tmpl[] = "/tmp/svckit-cli-XXXXXX";
    std::string log = std::string(mkdtemp(tmpl)) + "/watch.log";
    svckit::test::Process watch(desk.run({svckit::test::paths::svckit_cli(), "--registry", "etcd://etcd-a:2379", "watch", "notificator", "--count", "1"}), log);
    ASSERT_TRUE(wait_until([&] { return watch.log().find("10.0.0.1:80") != std::string::npos; }, 10s)) << watch.log();

    desk.set_hosts(hosts[1]->address(clients) + " etcd-a\n");  // the name moves to member 1 ...
    hosts[0]->cut(clients);                                   // ... and member 0 is gone from the desk's view
    ASSERT_TRUE(svckit::test::run_sync(etcd->put("/services/notificator/10.0.0.2:80", "10.0.0.2:80")).ok());
    ASSERT_TRUE(wait_until([&] { return !watch.alive(); }, 20s)) << "watch never saw the change: " << watch.log();
    EXPECT_NE(watch.log().find("added    10.0.0.2:80"), std::string::npos) << watch.log();
    std::filesystem::remove_all(std::filesystem::path(log).parent_path());
  }
}

TEST_F(CliTest, LsWatchAndCallSeeAndReachTheRegisteredInstances) { ls_watch_and_call(); }

// The same on the registries reached over HTTP (stand-ins: Debian has none of their servers; each script says
// what of the real server it models).
class CliOnHttpRegistries : public CliTest, public ::testing::WithParamInterface<const char*> {
 protected:
  std::string registry_url() override {
    const std::string scheme = GetParam();
    return standin_.url(scheme == "eureka" ? "/eureka?poll=100ms" : scheme == "nacos" ? "?poll=100ms" : "");
  }
  svckit::test::RestStandIn standin_{GetParam()};
};

TEST_P(CliOnHttpRegistries, LsWatchAndCallSeeAndReachTheRegisteredInstances) { ls_watch_and_call(); }

INSTANTIATE_TEST_SUITE_P(Schemes, CliOnHttpRegistries, ::testing::Values("consul", "eureka", "nacos"));

// And on ZooKeeper (a real server).
class CliOnZooKeeper : public CliTest {
 protected:
  std::string registry_url() override { return zk_.url(); }
  svckit::test::ZooKeeper zk_{1};
};

TEST_F(CliOnZooKeeper, LsWatchAndCallSeeAndReachTheRegisteredInstances) { ls_watch_and_call(); }

// And on DNS SRV records (a real dnsmasq), which the test writes as the zone's owner would: one SRV record per
// notificator started, served again (TTL 1 s) each time one more starts.
class CliOnDnsSrv : public CliTest {
 protected:
  std::string registry_url() override { return "dns+srv://example.internal?resolver=" + dns_.address(); }
  void published(const std::string& name) override {
    started_.push_back(name);
    std::vector<std::string> records;
    for (const auto& n : started_) {
      records.push_back("--srv-host=_notificator._tcp.example.internal," + n + ".example.internal," + port_of(n) + ",0,1");
      records.push_back("--host-record=" + n + ".example.internal,127.0.0.1");
    }
    dns_.restart(records);
  }
  svckit::test::Dnsmasq dns_{{}};
  std::vector<std::string> started_;
};

TEST_F(CliOnDnsSrv, LsWatchAndCallSeeAndReachTheRegisteredInstances) { ls_watch_and_call(); }

// The same commands on a file:// registry: ls lists the file's services, call reaches the instance listed.
TEST_F(CliTest, LsAndCallWorkOnAFileRegistry) {
  start_notificator("n1");
  const std::string file = dir_ + "/instances.yaml";
  std::ofstream(file) << "notificator:\n  - {addr: 127.0.0.1:" << port_of("n1") << ", zone: lab}\nusers: []\n";
  const std::string registry = "--registry file://" + file + " ";
  auto ls = cli(registry + "ls", false);
  EXPECT_EQ(ls.exit_code, 0) << ls.output;
  EXPECT_NE(ls.output.find("notificator  127.0.0.1:" + port_of("n1") + "  -    zone=lab"), std::string::npos) << ls.output;
  auto call = cli(registry + "call notificator/SendEmail '{\"email\":\"fil@example.com\",\"content\":\"hi\"}' " + proto(), false);
  EXPECT_EQ(call.exit_code, 0) << call.output;
  EXPECT_TRUE(wait_until([&] { return outbox_count("n1", "fil@example.com") == 1; }, 5s));
  auto none = cli(registry + "ls users", false);
  EXPECT_EQ(none.exit_code, 1) << none.output;
  EXPECT_NE(none.output.find("no instances"), std::string::npos) << none.output;
}

// users.proto declares its REST routes: svckit call follows them over HTTP (POST /users, not the default
// POST /create-user; GET /users/{id} with the id in the path).
TEST_F(CliTest, CallFollowsTheRoutesAProtoDeclares) {
  start_notificator("n1");
  start_api("users", svckit::test::paths::users(), "");
  const std::string users = " --transport http --proto " + svckit::test::paths::source_dir() + "/examples/bugtracker/proto/users.proto";
  auto made = cli("call users/CreateUser '{\"email\":\"cli@example.com\",\"password\":\"correct horse\"}'" + users);
  EXPECT_EQ(made.exit_code, 0) << made.output;
  EXPECT_NE(made.output.find("\"email\":\"cli@example.com\""), std::string::npos) << made.output;
  auto got = cli("call users/GetUser '{\"id\":1}'" + users);
  EXPECT_NE(got.exit_code, 0) << got.output;
  EXPECT_NE(got.output.find("UNAUTHENTICATED"), std::string::npos) << "GET /users/1 needs a token: " << got.output;
}

// A server-streaming method: each reply is printed as a JSON line as it comes, on the instance the
// static:// registry names; the stream's deadline is --timeout-ms.
TEST_F(CliTest, CallPrintsAStreamsRepliesAsTheyCome) {
  start_notificator("n1");  // no --smtp-url: a message stays pending
  auto sent = cli("call notificator/SendEmail '{\"email\":\"sam@example.com\",\"content\":\"hi\"}' " + proto());
  ASSERT_EQ(sent.exit_code, 0) << sent.output;
  const auto at = sent.output.find("\"id\":\"");
  ASSERT_NE(at, std::string::npos) << sent.output;
  const std::string id = sent.output.substr(at + 6, sent.output.find('"', at + 6) - at - 6);
  const std::string n1 = "--registry static://127.0.0.1:" + port_of("n1") + " ";
  auto watch = cli(n1 + "call notificator/WatchDeliveries '{\"ids\":[\"" + id + "\"]}' --timeout-ms 1500 " + proto(), false);
  EXPECT_NE(watch.output.find("{\"id\":\"" + id + "\",\"state\":\"pending\",\"attempts\":0,\"last_error\":\"\"}\n"),
            std::string::npos)
      << watch.output;
  EXPECT_EQ(watch.exit_code, 1) << "it stays pending: the stream ends at its deadline\n" << watch.output;
  EXPECT_NE(watch.output.find("DEADLINE_EXCEEDED"), std::string::npos) << watch.output;
  auto unknown = cli(n1 + "call notificator/WatchDeliveries '{\"ids\":[\"no-such-id\"]}' " + proto(), false);
  EXPECT_EQ(unknown.exit_code, 1) << unknown.output;
  EXPECT_NE(unknown.output.find("NOT_FOUND"), std::string::npos) << unknown.output;
  auto over_http = cli(n1 + "call notificator/WatchDeliveries '{\"ids\":[\"x\"]}' --transport http " + proto(), false);
  EXPECT_EQ(over_http.exit_code, 2) << over_http.output;
  EXPECT_NE(over_http.output.find("gRPC only"), std::string::npos) << over_http.output;
}

TEST_F(CliTest, BadInputIsAClearErrorAndNeverACrash) {
  start_notificator("n1");
  // A registry value that does not parse is listed with the reason.
  ASSERT_EQ(run_command("timeout 20 etcdctl --endpoints=" + etcd_.endpoints()[0] + " put /services/broken/x '{\"adr\":1}'").exit_code, 0);
  auto ls = cli("ls");
  EXPECT_EQ(ls.exit_code, 0) << ls.output;
  EXPECT_NE(ls.output.find("invalid value"), std::string::npos) << ls.output;

  const std::vector<std::pair<std::string, std::string>> refused = {
      {"call notificator/SendEmail '{\"email\":' " + proto(), "does not match"},
      {"call notificator/SendEmail '{\"mail\":\"x\"}' " + proto(), "does not match"},
      {"call notificator/Nope '{}' " + proto(), "is not in service"},
      {"call nosuch/SendEmail '{}' " + proto(), "no instances"},
      {"call notificator '{}' " + proto(), "SERVICE/Method"},
      {"call notificator/SendEmail '{}' --proto /nonexistent.proto", "nonexistent.proto"},
      {"call notificator/SendEmail '{\"email\":\"ann@example.com\",\"content\":\"x\"}' " + proto() + " --tls-ca /nonexistent.crt",
       "/nonexistent.crt"},
  };
  for (const auto& [args, why] : refused) {
    auto r = cli(args);
    EXPECT_NE(r.exit_code, 0) << args << ":\n" << r.output;
    EXPECT_NE(r.output.find(why), std::string::npos) << args << ": should say '" << why << "':\n" << r.output;
  }
  // The service's own refusal is passed on.
  auto invalid = cli("call notificator/SendEmail '{\"email\":\"not-an-email\",\"content\":\"x\"}' " + proto());
  EXPECT_EQ(invalid.exit_code, 1) << invalid.output;
  EXPECT_NE(invalid.output.find("INVALID_ARGUMENT"), std::string::npos) << invalid.output;
  // An unreachable registry is an error in bounded time, and its password is never printed.
  auto down = cli("--registry etcd://ops:hunter2-secret@127.0.0.1:1 --registry-timeout-ms 1000 ls", false);
  EXPECT_NE(down.exit_code, 0) << down.output;
  EXPECT_EQ(down.output.find("hunter2-secret"), std::string::npos) << down.output;
  EXPECT_EQ(cli("--help", false).exit_code, 0);
}

TEST_F(CliTest, CallReachesATlsNotificatorOnlyWithTheRightTlsFlags) {
  using svckit::test::cert;
  start_notificator("n1", {"--tls-cert", cert("server.crt"), "--tls-key", cert("server.key"), "--tls-client-ca", cert("ca.crt")});
  auto call = [&](const std::string& email, const std::string& tls_flags) {
    return cli("call notificator/SendEmail '{\"email\":\"" + email + "\",\"content\":\"hi\"}' " + proto() +
               " --timeout-ms 3000 " + tls_flags);
  };
  auto ok = call("ann@example.com", "--tls-ca " + cert("ca.crt") + " --tls-cert " + cert("client.crt") + " --tls-key " +
                                        cert("client.key"));
  EXPECT_EQ(ok.exit_code, 0) << ok.output;
  EXPECT_EQ(outbox_count("n1", "ann@example.com"), 1);
  auto no_cert = call("bob@example.com", "--tls-ca " + cert("ca.crt"));
  EXPECT_NE(no_cert.exit_code, 0) << no_cert.output;
  auto untrusted = call("cyd@example.com", "--tls-cert " + cert("client.crt") + " --tls-key " + cert("client.key"));
  EXPECT_NE(untrusted.exit_code, 0) << untrusted.output;
  EXPECT_EQ(outbox_count("n1", "bob@example.com") + outbox_count("n1", "cyd@example.com"), 0);
}

#endif  // SVCKIT_HAS_CLI

}  // namespace
