// The bug tracker on a real 3-member etcd cluster, each member on a host of its own (a network namespace
// with a leg on a client network and one on a peer network), under open-loop load (100 POST /create a
// second, every answer checked), while etcd fails in turn: the leader killed and restarted, each member
// frozen longer than the TTL, the leader and a follower cut off from their peers (they still answer, without
// a leader), every member frozen and every member killed for longer than the TTL; then a notificator killed
// and a new one started. Each fault must cost no request and defer no email; a single-member fault must
// not cost any registration; after a full outage the fleet is whole again within 0.5 s; a new instance gets
// its first call within 100 ms of its registration being seen.
#include <algorithm>
#include <ctime>
#include <iomanip>
#include <map>
#include <mutex>

#include "support/build_paths.hpp"
#include "support/etcd_fleet.hpp"
#include "support/open_loop.hpp"
#include "svckit/sd/etcd/client.hpp"
#include "tracker.hpp"

using namespace std::chrono_literals;
namespace etcd = svckit::sd::etcd;
using svckit::test::wait_until;

namespace {

// A fault lasts while this many requests are answered: 4 s at 100 a second, longer than a lease lives.
constexpr std::int64_t kFaultRequests = 400;
const std::string kTtlFlag = "3";  // every service registers with a 3 s TTL

/// What the registry shows: every put and delete under /services/, with the time it was seen, and for how
/// long a deleted registration stayed missing.
class RegistryLog {
 public:
  explicit RegistryLog(std::vector<std::string> endpoints)
      : client_(etcd::Client::create({.endpoints = std::move(endpoints)})) {
    auto now = svckit::test::run_sync(client_->get_prefix("/services/"));
    if (!now.ok()) throw std::runtime_error("registry log: " + now.status().message());
    client_->watch("/services/", true, now->revision + 1, [this](const etcd::WatchUpdate& u) {
      std::lock_guard lock(mu_);
      auto at = std::chrono::system_clock::now();
      for (const auto& e : u.events) {
        if (e.type == etcd::WatchEvent::Type::Delete) {
          ++deletions_;
          deleted_at_[e.kv.key] = at;
        } else {
          put_at_[e.kv.key] = at;
          if (auto it = deleted_at_.find(e.kv.key); it != deleted_at_.end()) {
            longest_gap_ = std::max(longest_gap_, std::chrono::duration_cast<std::chrono::milliseconds>(at - it->second));
            deleted_at_.erase(it);
          }
        }
      }
    });
  }
  struct Missing {
    int deletions = 0;
    std::chrono::milliseconds longest{0};  // the longest a deleted registration took to come back
  };
  /// Deletions so far, and the longest gap since the last reset_gaps().
  Missing missing() {
    std::lock_guard lock(mu_);
    return {deletions_, longest_gap_};
  }
  void reset_gaps() {
    std::lock_guard lock(mu_);
    longest_gap_ = {};
  }
  /// When a put of key was last seen (epoch if never).
  std::chrono::system_clock::time_point put_at(const std::string& key) {
    std::lock_guard lock(mu_);
    auto it = put_at_.find(key);
    return it == put_at_.end() ? std::chrono::system_clock::time_point{} : it->second;
  }

 private:
  std::shared_ptr<etcd::Client> client_;
  std::mutex mu_;
  int deletions_ = 0;
  std::chrono::milliseconds longest_gap_{0};
  std::map<std::string, std::chrono::system_clock::time_point> put_at_, deleted_at_;
};

/// Whether every key is registered on a lease etcd keeps (not one that lapsed), asked through `etcd`.
bool all_alive(etcd::Client& etcd, const std::vector<std::string>& keys) {
  auto now = svckit::test::run_sync(etcd.get_prefix("/services/"));
  if (!now.ok()) return false;
  for (const auto& key : keys) {
    auto it = std::find_if(now->kvs.begin(), now->kvs.end(), [&](const etcd::KeyValue& kv) { return kv.key == key; });
    if (it == now->kvs.end()) return false;
    auto left = svckit::test::run_sync(etcd.time_to_live(it->lease));
    if (!left.ok() || *left <= 0) return false;
  }
  return true;
}

/// The time of a log line (its ts=2026-12-06T05:10:17.285Z field).
std::chrono::system_clock::time_point line_time(const std::string& line) {
  auto at = line.find("ts=");
  std::tm tm{};
  std::istringstream in(line.substr(at + 3, 19));
  in >> std::get_time(&tm, "%Y-%m-%dT%H:%M:%S");
  auto t = std::chrono::system_clock::from_time_t(timegm(&tm));
  return t + std::chrono::milliseconds(std::stoi(line.substr(at + 3 + 20, 3)));
}

class FleetTest : public svckit::test::TrackerTest {
 protected:
  void SetUp() override {
    TrackerTest::SetUp();
    fleet_ = std::make_unique<svckit::test::EtcdFleet>();
  }
  void TearDown() override {
    TrackerTest::TearDown();  // the services stop first
    fleet_.reset();
  }
  std::string registry_url() override { return cluster().url(); }

  /// How many emails users has put off to its retry queue so far.
  int deferred() {
    auto log = log_of("users");
    int n = 0;
    for (auto at = log.find("queued for retry"); at != std::string::npos; at = log.find("queued for retry", at + 1)) ++n;
    return n;
  }

  svckit::test::EtcdCluster& cluster() { return *fleet_->cluster; }

  std::unique_ptr<svckit::test::EtcdFleet> fleet_;
};

TEST_F(FleetTest, EveryRequestIsAnsweredWhileEtcdMembersFail) {
  start_notificator("n1", {"--register-ttl", kTtlFlag});
  start_notificator("n2", {"--register-ttl", kTtlFlag});
  start_api("users", svckit::test::paths::users(), "memory:", {"--register-ttl", kTtlFlag});
  RegistryLog registry(cluster().endpoints());
  const std::vector<std::string> keys{"/services/notificator/127.0.0.1:" + std::to_string(service("n1").grpc),
                                      "/services/notificator/127.0.0.1:" + std::to_string(service("n2").grpc),
                                      "/services/users/127.0.0.1:" + std::to_string(service("users").http)};
  int faulted = -1;  // the member a single-member fault hits
  const auto users_port = service("users").http;
  svckit::test::OpenLoop load(100, [&](std::int64_t n) {
    auto body = R"({"email":"fleet)" + std::to_string(n) + R"(@example.com"})";
    return svckit::test::http_call(users_port, "POST", "/create", body).status == 201;
  });
  ASSERT_TRUE(wait_until([&] { return load.tally().sent >= 100; }, 20s)) << "users answers";
  // Keeps a fault on while kFaultRequests more requests are answered (the load runs on, open loop).
  auto hold_fault = [&] {
    auto from = load.tally().sent;
    ASSERT_TRUE(wait_until([&] { return load.tally().sent >= from + kFaultRequests; }, 60s)) << "the load stalled";
  };

  // Runs one fault under load, then a second of load after the cluster is healthy again. A registration
  // may go missing only when the member was the leader (see below), and then only for a moment.
  auto under_load = [&](const std::string& what, bool single_member, const std::function<void()>& fault) {
    SCOPED_TRACE(what);
    auto before = load.tally();
    int deferred_before = deferred();
    int leader_before = cluster().leader();
    auto missing_before = registry.missing();
    registry.reset_gaps();
    fault();
    cluster().wait_healthy();
    auto healed = load.tally();
    ASSERT_TRUE(wait_until([&] { return load.tally().sent >= healed.sent + 100; }, 20s));
    auto during = load.tally() - before;
    auto missing = registry.missing();
    int deleted = missing.deletions - missing_before.deletions;
    std::printf("[ fleet ] %-36s requests %5lld, failed %lld, emails deferred %d, registrations deleted %d "
                "(back within %lld ms)\n", what.c_str(), static_cast<long long>(during.sent),
                static_cast<long long>(during.failed), deferred() - deferred_before, deleted,
                static_cast<long long>(missing.longest.count()));
    EXPECT_EQ(during.failed, 0) << "first failed request numbers: " << ::testing::PrintToString(load.failures());
    EXPECT_EQ(deferred() - deferred_before, 0) << "emails put off to the retry queue";
    if (single_member && faulted != leader_before) {
      EXPECT_EQ(deleted, 0) << "a registration went missing";
    }
    if (single_member) {
      EXPECT_LE(missing.longest, 200ms) << "a registration stayed missing";
    }
  };
  // After a full outage: how long until every service is registered on a live lease, asked through a client
  // made for the purpose (one that lived through the outage would be measuring its own way back).
  auto whole_after = [&](std::chrono::steady_clock::time_point ended) {
    auto fresh = etcd::Client::create({.endpoints = cluster().endpoints()});
    EXPECT_TRUE(wait_until([&] { return all_alive(*fresh, keys); }, 10s));
    return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - ended);
  };

  under_load("leader killed and restarted", true, [&] {
    int leader = faulted = cluster().leader();
    ASSERT_GE(leader, 0);
    cluster().member(static_cast<std::size_t>(leader)).kill();
    hold_fault();
    cluster().member(static_cast<std::size_t>(leader)).restart();
  });
  for (std::size_t i = 0; i < cluster().size(); ++i) {
    faulted = static_cast<int>(i);
    under_load("member " + std::to_string(i) + " frozen", true, [&] {
      cluster().member(i).pause();
      hold_fault();
      cluster().member(i).resume();
    });
  }
  int leader = cluster().leader();
  ASSERT_GE(leader, 0);
  for (auto i : {static_cast<std::size_t>(leader), (static_cast<std::size_t>(leader) + 1) % cluster().size()}) {
    faulted = static_cast<int>(i);
    under_load(std::string(static_cast<int>(i) == leader ? "leader" : "follower") + " cut off from its peers", true, [&] {
      fleet_->hosts[i]->cut(fleet_->peers);
      hold_fault();
      fleet_->hosts[i]->heal(fleet_->peers);
    });
  }

  std::chrono::milliseconds took{}, took_killed{};
  under_load("every member frozen", false, [&] {
    for (std::size_t i = 0; i < cluster().size(); ++i) cluster().member(i).pause();
    hold_fault();
    auto thawed = std::chrono::steady_clock::now();
    for (std::size_t i = 0; i < cluster().size(); ++i) cluster().member(i).resume();
    took = whole_after(thawed);
  });
  std::printf("[ fleet ] every member frozen: whole again %lld ms after the thaw\n", static_cast<long long>(took.count()));

  under_load("every member killed", false, [&] {
    for (std::size_t i = 0; i < cluster().size(); ++i) cluster().member(i).kill();
    hold_fault();
    for (std::size_t i = 0; i < cluster().size(); ++i) cluster().member(i).restart();
    // The outage ends when etcd answers again.
    auto probe = etcd::Client::create({.endpoints = cluster().endpoints(), .request_timeout = 200ms});
    ASSERT_TRUE(wait_until([&] { return svckit::test::run_sync(probe->get("/")).ok(); }, 30s));
    took_killed = whole_after(std::chrono::steady_clock::now());
  });
  std::printf("[ fleet ] every member killed: whole again %lld ms after etcd answered\n",
              static_cast<long long>(took_killed.count()));

  // A notificator killed, a new one started: its first call within 100 ms of its registration being seen.
  auto before = load.tally();
  int deferred_before = deferred();
  service("n1").proc->signal(SIGKILL);
  auto& n3 = start_notificator("n3", {"--register-ttl", kTtlFlag});
  const std::string n3_key = "/services/notificator/127.0.0.1:" + std::to_string(n3.grpc);
  ASSERT_TRUE(wait_until([&] { return log_of("n3").find("msg=call") != std::string::npos; }, 10s));
  auto n3_log = log_of("n3");
  auto line_start = n3_log.rfind('\n', n3_log.find("msg=call"));
  auto first_call = line_time(n3_log.substr(line_start == std::string::npos ? 0 : line_start + 1));
  auto seen = registry.put_at(n3_key);
  ASSERT_NE(seen, std::chrono::system_clock::time_point{}) << "the registry log saw " << n3_key;
  auto to_first_call = std::chrono::duration_cast<std::chrono::milliseconds>(first_call - seen);
  std::printf("[ fleet ] new notificator: first call %lld ms after its registration was seen\n",
              static_cast<long long>(to_first_call.count()));
  EXPECT_LE(to_first_call, 100ms);
  ASSERT_TRUE(wait_until([&] { return load.tally().sent >= before.sent + 100; }, 20s));
  auto during = load.tally() - before;
  EXPECT_EQ(during.failed, 0);
  EXPECT_EQ(deferred() - deferred_before, 0);

  EXPECT_LE(took, 500ms) << "whole again after every member was frozen";
  EXPECT_LE(took_killed, 500ms) << "whole again after every member was killed";
  load.stop();
}

}  // namespace
