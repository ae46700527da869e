// Interop with go-kit's etcdv3 layout, against a real etcd, with a Go program using the official Go etcd
// client the way go-kit's sd/etcdv3 does (see tests/interop/gokit_etcdv3/main.go for why not go-kit itself).
#include <gtest/gtest.h>

#include <cstdio>

#include "support/build_paths.hpp"
#include "support/etcd.hpp"
#include "support/run.hpp"
#include "svckit/sd/etcd/instancer.hpp"
#include "svckit/sd/etcd/registrar.hpp"
#include "svckit/sd/registry.hpp"

using namespace std::chrono_literals;
namespace sd = svckit::sd;

namespace {

std::string run_capture(const std::string& cmd) {
  std::unique_ptr<FILE, int (*)(FILE*)> p(popen(cmd.c_str(), "r"), pclose);
  std::string out;
  char buf[256];
  while (p && fgets(buf, sizeof buf, p.get())) out += buf;
  return out;
}

TEST(GoKitInterop, GoKitClientDiscoversSvckitInstances) {
  svckit::test::EtcdCluster etcd(1);
  auto registry = sd::Registry::open(etcd.url());
  sd::Instance a, b;
  a.address = "10.2.0.1:8080";
  b.address = "10.2.0.2:8080";
  auto ra = registry->registrar("users", a, 10s);
  auto rb = registry->registrar("users", b, 10s);
  ra->register_instance();
  rb->register_instance();
  auto out = run_capture(svckit::test::paths::gokit_etcdv3() + " discover " + etcd.endpoints()[0] + " /services/users/ 2 10s");
  EXPECT_EQ(out, "10.2.0.1:8080\n10.2.0.2:8080\n");
}

TEST(GoKitInterop, SvckitDiscoversGoKitInstancesAndSeesThemLeave) {
  svckit::test::EtcdCluster etcd(1);
  auto registry = sd::Registry::open(etcd.url());
  auto instancer = registry->instancer("users");
  char tmpl[] = "/tmp/svckit-gokit-XXXXXX";
  const std::string dir = mkdtemp(tmpl);
  const std::string log = dir + "/gokit.log";
  pid_t pid = svckit::test::spawn_process({svckit::test::paths::gokit_etcdv3(), "register", etcd.endpoints()[0], "/services/users/", "10.3.0.1:9000", "5"}, log);
  ASSERT_TRUE(svckit::test::wait_until([&] { return instancer->size() == 1; }, 15s)) << svckit::test::EtcdCluster::tail(log);
  auto seen = instancer->instances().at(0);
  EXPECT_EQ(seen.key, "/services/users/10.3.0.1:9000");
  EXPECT_EQ(seen.address, "10.3.0.1:9000");
  // "registered" is printed once the Go side is ready to deregister on SIGTERM.
  ASSERT_TRUE(svckit::test::wait_until([&] { return svckit::test::EtcdCluster::tail(log).find("registered") != std::string::npos; }));
  kill(pid, SIGTERM);  // go-kit's Deregister: delete the key, revoke the lease
  auto left = std::chrono::steady_clock::now();
  EXPECT_TRUE(svckit::test::wait_until([&] { return instancer->size() == 0; }, 10s));
  EXPECT_LT(std::chrono::steady_clock::now() - left, 4s) << "seen as a deletion, not as the 5 s lease running out";
  waitpid(pid, nullptr, 0);
  EXPECT_NE(svckit::test::EtcdCluster::tail(log).find("deregistered"), std::string::npos);
  std::error_code ec;
  std::filesystem::remove_all(dir, ec);
}

}  // namespace
