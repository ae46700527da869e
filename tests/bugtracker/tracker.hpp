// Test support: the bug tracker on loopback — a real etcd, and notificator, users and bugs as real
// processes that register there. Every service binds port 0; the fixture reads the bound ports from the
// service's own "listening" log lines, so two tests never fight over a port and a restarted service may
// come back on another port (clients find it through etcd).
#pragma once

#include <gtest/gtest.h>

#include <fstream>
#include <map>
#include <set>
#include <memory>
#include <regex>
#include <sstream>

#include "support/build_paths.hpp"
#include "support/etcd.hpp"
#include "support/http_call.hpp"
#include "support/process.hpp"
#include "support/run.hpp"

namespace svckit::test {

inline const std::string kTrackerSecret = "tracker-test-secret-0123456789abcdef";
inline const std::string kOutboxToken = "tracker-outbox-token-0123456789";
/// The header that opens notificator's /outbox (every notificator here starts with --outbox-token).
inline const std::string kOutboxAuth = "Authorization: Bearer " + kOutboxToken + "\r\n";

class TrackerTest : public ::testing::Test {
 protected:
  struct Service {
    std::unique_ptr<Process> proc;
    std::string log_path;
    unsigned short http = 0;   // users, bugs: the API
    unsigned short debug = 0;  // the debug listener (/metrics; notificator's /outbox)
    unsigned short grpc = 0;  // notificator
  };

  void SetUp() override {
    char tmpl[] = "/tmp/svckit-tracker-XXXXXX";
    dir_ = mkdtemp(tmpl);
  }
  void TearDown() override {
    // Stopped as an operator stops them, so what a service does at exit is checked too: a non-zero exit
    // after SIGTERM (under the sanitizers: a leak or a fault on the way out) fails the test.
    for (auto& [name, s] : services_) {
      if (!s.proc || !s.proc->alive()) continue;
      int rc = s.proc->stop();
      EXPECT_EQ(rc, 0) << name << (rc < 0 ? " did not exit within 20 s of SIGTERM" : " did not exit cleanly after SIGTERM")
                       << ": " << s.proc->log();
    }
    services_.clear();
    for (const auto& path : logs_) {  // every service this test started, restarts included
      auto fault = Process::fault_in(path);
      EXPECT_TRUE(fault.empty()) << path << ": " << fault;
    }
    if (HasFailure()) {  // the services' logs and databases tell what went wrong
      std::fprintf(stderr, "service logs and data kept in %s (the test failed)\n", dir_.c_str());
      return;
    }
    std::filesystem::remove_all(dir_);
  }

  /// A notificator registered in etcd (outbox in DIR/NAME.db).
  Service& start_notificator(const std::string& name, const std::vector<std::string>& extra_flags = {}) {
    std::vector<std::string> argv{svckit::test::paths::notificator(), "--grpc-addr", "127.0.0.1:0", "--debug-addr", "127.0.0.1:0", "--store",
                                  "sqlite:" + dir_ + "/" + name + ".db", "--outbox-token", kOutboxToken};
    argv.insert(argv.end(), extra_flags.begin(), extra_flags.end());
    return start(name, argv);
  }
  /// users or bugs (binary paths::users() / paths::bugs()) registered in etcd; store defaults to sqlite:DIR/NAME.db
  /// (two instances given the same sqlite path share one database).
  Service& start_api(const std::string& name, const std::string& binary, std::string store = "",
                     const std::vector<std::string>& extra_flags = {}) {
    if (store.empty()) store = "sqlite:" + dir_ + "/" + name + ".db";
    std::vector<std::string> argv{binary, "--http-addr", "127.0.0.1:0", "--debug-addr", "127.0.0.1:0", "--store", store,
                                  "--jwt-secret", kTrackerSecret};
    argv.insert(argv.end(), extra_flags.begin(), extra_flags.end());
    return start(name, argv);
  }
  /// SIGTERM (graceful: deregister, drain) and start again with the same flags; waits until registered.
  void restart(const std::string& name) {
    auto& s = services_.at(name);
    EXPECT_EQ(s.proc->signal(SIGTERM), 0) << name << " did not exit cleanly: " << s.proc->log();
    auto from = log_size(s.log_path);
    s.proc->start();
    await_started(name, s, from);
  }
  /// SIGKILL and start again; waits until registered.
  void kill_and_restart(const std::string& name) {
    auto& s = services_.at(name);
    s.proc->signal(SIGKILL);
    auto from = log_size(s.log_path);
    s.proc->start();
    await_started(name, s, from);
  }
  Service& service(const std::string& name) { return services_.at(name); }
  /// Everything the service has logged so far.
  std::string log_of(const std::string& name) { return log_since(services_.at(name).log_path, 0); }

  /// GET /metrics on the service's debug listener.
  std::string metrics(const std::string& name) { return http_call(services_.at(name).debug, "GET", "/metrics").body; }
  HttpReply call(const std::string& name, const std::string& method, const std::string& path,
                 const std::string& body = "", const std::string& token = "") {
    return http_call(services_.at(name).http, method, path, body,
                     token.empty() ? "" : "Authorization: Bearer " + token + "\r\n");
  }
  /// How many messages to `email` notificator `name` holds in its outbox.
  int outbox_count(const std::string& name, const std::string& email) {
    auto body = http_call(services_.at(name).debug, "GET", "/outbox?limit=10000", "", kOutboxAuth).body;
    int n = 0;
    const std::string needle = "\"email\":\"" + email + "\"";
    for (auto pos = body.find(needle); pos != std::string::npos; pos = body.find(needle, pos + 1)) ++n;
    return n;
  }
  /// A string field of a JSON body (enough for tokens and ids in these tests).
  static std::string field(const std::string& body, const std::string& key) {
    std::smatch m;
    if (std::regex_search(body, m, std::regex("\"" + key + "\":\"?([^\",}]*)"))) return m[1];
    return {};
  }

  /// The registry every service is started with (a fleet test's cluster instead of etcd_).
  virtual std::string registry_url() { return etcd_.url(); }

  EtcdCluster etcd_{1};
  std::string dir_;
  std::map<std::string, Service> services_;
  std::set<std::string> logs_;

 private:
  Service& start(const std::string& name, std::vector<std::string> argv) {
    argv.insert(argv.end(), {"--registry", registry_url()});
    auto& s = services_[name];
    s.log_path = dir_ + "/" + name + ".log";
    logs_.insert(s.log_path);
    auto from = log_size(s.log_path);
    s.proc = std::make_unique<Process>(std::move(argv), s.log_path);
    await_started(name, s, from);
    return s;
  }
  static std::size_t log_size(const std::string& path) {
    std::error_code ec;
    auto n = std::filesystem::file_size(path, ec);
    return ec ? 0 : n;
  }
  static std::string log_since(const std::string& path, std::size_t from) {
    std::ifstream in(path);
    in.seekg(static_cast<std::streamoff>(from));
    std::stringstream s;
    s << in.rdbuf();
    return s.str();
  }
  // Waits for "registered" — or, in a registry the service cannot write (dns+srv://), its note saying so —
  // (every server is listening by then) and reads the bound ports.
  void await_started(const std::string& name, Service& s, std::size_t from) {
    ASSERT_TRUE(wait_until([&] {
      const auto log = log_since(s.log_path, from);
      return log.find("msg=registered") != std::string::npos || log.find("registry is read-only") != std::string::npos;
    }, std::chrono::seconds(15)))
        << name << " did not register: " << s.proc->log();
    auto log = log_since(s.log_path, from);
    std::smatch m;
    if (std::regex_search(log, m, std::regex(R"re(server="http [0-9.]+:([0-9]+)[ "])re"))) s.http = static_cast<unsigned short>(std::stoi(m[1]));
    if (std::regex_search(log, m, std::regex(R"re(server="grpc [0-9.]+:([0-9]+)[ "])re"))) s.grpc = static_cast<unsigned short>(std::stoi(m[1]));
    if (std::regex_search(log, m, std::regex(R"re(server="debug [0-9.]+:([0-9]+)[ "])re"))) s.debug = static_cast<unsigned short>(std::stoi(m[1]));
  }
};

}  // namespace svckit::test
