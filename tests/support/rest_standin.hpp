// Test support: a registry server STAND-IN written in Python (tests/support/<name>_standin.py: Debian has no
// Eureka or Nacos server) on a free loopback port. What of the real server each models, and what not, is said
// at the top of its script.
//
//   svckit::test::RestStandIn eureka("eureka");
//   auto registry = svckit::sd::Registry::open(eureka.url("/eureka?poll=200ms"));
//   eureka.stop();  eureka.start();            // same port, state lost (a server restarted afresh)
//   eureka.request("PUT", "/eureka/apps/USERS/id/status?value=DOWN");
#pragma once

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

#include "support/build_paths.hpp"
#include "support/etcd.hpp"  // free_port, http_get
#include "support/process.hpp"
#include "support/reserved_port.hpp"
#include "support/run.hpp"

namespace svckit::test {

class RestStandIn {
 public:
  /// Starts tests/support/<name>_standin.py with --port and `args`.
  explicit RestStandIn(std::string name, std::vector<std::string> args = {})
      : name_(std::move(name)), args_(std::move(args)), port_(free_port()) {
    char tmpl[] = "/tmp/svckit-standin-XXXXXX";
    if (!mkdtemp(tmpl)) throw std::runtime_error("mkdtemp failed");
    dir_ = tmpl;
    // A free port can be taken by another test between free_port() and the stand-in's bind: then it exits,
    // and it is started again on another port.
    for (int attempt = 0; attempt < 3 && !launch(); ++attempt) port_ = free_port();
    if (!proc_->alive()) throw std::runtime_error(name_ + " stand-in did not start: " + proc_->log());
  }
  ~RestStandIn() {
    if (proc_ && !stopped_ && !proc_->alive())  // it ended by itself: say how, for the test that failed on it
      std::fprintf(stderr, "%s stand-in on port %u had ended by itself (%s):\n%s\n", name_.c_str(), port_, proc_->ended().c_str(),
                   proc_->log().c_str());
    proc_.reset();
    std::filesystem::remove_all(dir_);
  }

  /// "<name>://127.0.0.1:<port><rest>"
  std::string url(const std::string& rest = "") const { return name_ + "://127.0.0.1:" + std::to_string(port_) + rest; }
  unsigned short port() const { return port_; }
  Process& process() { return *proc_; }

  /// Starts it on its port (again, after stop(): the same port).
  void start() {
    held_.reset();
    stopped_ = false;
    if (!launch()) throw std::runtime_error(name_ + " stand-in did not start on port " + std::to_string(port_) + ": " + proc_->log());
  }
  /// Stops it (SIGKILL: a server gone); the port stays ours until start().
  void stop() {
    stopped_ = true;
    proc_.reset();
    held_ = std::make_unique<ReservedPort>(port_);
  }
  /// One request with a JSON body (and Accept: application/json): the response body, "" when it is down.
  std::string request(const std::string& method, const std::string& path, const std::string& body = "",
                      const std::string& user = "") const {
    std::string cmd = "curl -s --max-time 5 -X " + method + " -H 'Accept: application/json' -H 'Content-Type: application/json' " +
                      (user.empty() ? "" : "-u '" + user + "' ") + "--data-binary @- 'http://127.0.0.1:" + std::to_string(port_) + path +
                      "' <<'EOF'\n" + body + "\nEOF";
    std::unique_ptr<FILE, int (*)(FILE*)> p(popen(cmd.c_str(), "r"), pclose);
    std::string out;
    char buf[512];
    while (p && fgets(buf, sizeof buf, p.get())) out += buf;
    return out;
  }
  std::string log() const { return proc_ ? proc_->log() : ""; }

 private:
  // Runs the script and waits for its own word that it listens (a probe could be answered by whoever else
  // holds the port); false when it exited instead.
  bool launch() {
    std::vector<std::string> argv{"/usr/bin/python3", "-X", "faulthandler", svckit::test::paths::source_dir() + "/tests/support/" + name_ + "_standin.py", "--port",
                                  std::to_string(port_)};
    argv.insert(argv.end(), args_.begin(), args_.end());
    proc_ = std::make_unique<Process>(argv, (dir_ / (name_ + ".log")).string());
    const std::string ready = "listening on 127.0.0.1:" + std::to_string(port_);
    if (!wait_until([&] { return proc_->log().find(ready) != std::string::npos || !proc_->alive(); }, std::chrono::seconds(20)))
      throw std::runtime_error(name_ + " stand-in did not start in 20 s: " + proc_->log());
    return proc_->alive();
  }

  std::string name_;
  std::vector<std::string> args_;
  unsigned short port_;
  std::filesystem::path dir_;
  std::unique_ptr<Process> proc_;
  std::unique_ptr<ReservedPort> held_;
  bool stopped_ = false;
};

}  // namespace svckit::test
