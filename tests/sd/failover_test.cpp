// Three stringsvc processes behind a balancer, discovered through etcd; one dies mid-load.
#include <gtest/gtest.h>

#include "support/build_paths.hpp"
#include "support/failover.hpp"
#include "support/run.hpp"

namespace {

TEST(Failover, KilledInstanceCostsNoFailedCalls) {
  auto r = svckit::test::run_failover({.stringsvc_bin = svckit::test::paths::stringsvc(), .rate = 200,
                                       .duration = std::chrono::milliseconds(4000),
                                       .stop_at = std::chrono::milliseconds(1000), .signal = SIGKILL});
  EXPECT_EQ(r.failed_calls, 0) << r.first_error;
  EXPECT_LE(r.failed_attempts, 10) << "passive health takes the dead instance out at its first failure";
  EXPECT_TRUE(r.unclean_exits.empty()) << ::testing::PrintToString(r.unclean_exits);
}

TEST(Failover, TerminatedInstanceDeregistersFirstSoNoAttemptFails) {
  auto r = svckit::test::run_failover({.stringsvc_bin = svckit::test::paths::stringsvc(), .rate = 200,
                                       .duration = std::chrono::milliseconds(4000),
                                       .stop_at = std::chrono::milliseconds(1000), .signal = SIGTERM});
  EXPECT_EQ(r.failed_calls, 0) << r.first_error;
  EXPECT_EQ(r.failed_attempts, 0);
  EXPECT_TRUE(r.unclean_exits.empty()) << ::testing::PrintToString(r.unclean_exits);
}

// The command-line client discovers through etcd: the very first call after start-up must find the
// instance (it waits for the registry's first answer instead of failing with "no instances").
TEST(Discovery, ClientFindsARegisteredServiceOnItsFirstCall) {
  svckit::test::EtcdCluster etcd(1);
  char tmpl[] = "/tmp/svckit-discovery-XXXXXX";
  std::string dir = mkdtemp(tmpl);
  pid_t svc = svckit::test::spawn_process({svckit::test::paths::stringsvc(), "--http-addr", "127.0.0.1:0", "--grpc-addr", "127.0.0.1:0",
                                           "--debug-addr", "127.0.0.1:0", "--registry", etcd.url()},
                                          dir + "/stringsvc.log");
  ASSERT_TRUE(svckit::test::wait_until([&] {
    return svckit::test::EtcdCluster::tail(dir + "/stringsvc.log").find("msg=registered") != std::string::npos;
  }));
  auto run = [&](const std::string& args) {
    std::string cmd = svckit::test::paths::stringsvc_client() + " --registry " + etcd.url() + " " + args + " 2>&1";
    std::unique_ptr<FILE, int (*)(FILE*)> p(popen(cmd.c_str(), "r"), pclose);
    std::string out;
    char buf[256];
    while (p && fgets(buf, sizeof buf, p.get())) out += buf;
    return out;
  };
  for (int i = 0; i < 5; ++i) {
    EXPECT_EQ(run("count hello"), "5\n");
    EXPECT_EQ(run("--balancer round_robin uppercase hello"), "HELLO\n");
  }
  EXPECT_NE(run("--no-such-flag count a").find("--no-such-flag"), std::string::npos) << "unknown flags are named";
  kill(svc, SIGTERM);
  int status = 0;
  waitpid(svc, &status, 0);
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << "stringsvc exits 0 after SIGTERM: "
                                                             << svckit::test::EtcdCluster::tail(dir + "/stringsvc.log");
  EXPECT_EQ(svckit::test::Process::fault_in(dir + "/stringsvc.log"), "");
  EXPECT_NE(run("--timeout-ms 300 count a").find("no instances"), std::string::npos) << "deregistered on SIGTERM";
  if (!HasFailure()) std::filesystem::remove_all(dir);
}

}  // namespace
