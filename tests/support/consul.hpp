// Test support: a Consul agent STAND-IN (tests/support/consul_standin.py: Debian has no Consul server) on a
// free loopback port. What of Consul it models, and what not, is said at the top of that script.
//
//   svckit::test::ConsulStandIn consul;
//   auto registry = svckit::sd::Registry::open(consul.url("?check=ttl"));
//   consul.stop();  consul.start();             // same port, state lost (an agent restarted afresh)
#pragma once

#include <chrono>
#include <filesystem>
#include <memory>
#include <stdexcept>
#include <string>

#include "support/etcd.hpp"  // free_port, spawn_process, http_get
#include "support/process.hpp"
#include "support/reserved_port.hpp"
#include "support/run.hpp"

namespace svckit::test {

class ConsulStandIn {
 public:
  ConsulStandIn() : port_(free_port()) {
    char tmpl[] = "/tmp/svckit-consul-XXXXXX";
    if (!mkdtemp(tmpl)) throw std::runtime_error("mkdtemp failed");
    dir_ = tmpl;
    start();
  }
  ~ConsulStandIn() {
    proc_.reset();
    std::filesystem::remove_all(dir_);
  }

  std::string url(const std::string& rest = "") const { return "consul://127.0.0.1:" + std::to_string(port_) + rest; }
  unsigned short port() const { return port_; }

  void start() {
    held_.reset();
    // Debian's python (with python3-grpcio), not whatever `python3` a PATH finds first.
    proc_ = std::make_unique<Process>(
        std::vector<std::string>{"/usr/bin/python3", SVCKIT_SOURCE_DIR "/tests/support/consul_standin.py", "--port", std::to_string(port_)},
        (dir_ / "consul.log").string());
    if (!wait_until([&] { return http_get(port_, "/v1/status/leader").find("127.0.0.1:8300") != std::string::npos; },
                    std::chrono::seconds(20)))
      throw std::runtime_error("consul stand-in did not start: " + proc_->log());
  }
  /// Stops it (SIGKILL: an agent gone); the port stays ours until start().
  void stop() {
    proc_.reset();
    held_ = std::make_unique<ReservedPort>(port_);
  }
  /// GET path on the stand-in: the response (headers and body), or "" when it is down.
  std::string get(const std::string& path) const { return http_get(port_, path); }
  /// PUT path (the stand-in's test hooks, or a registration written by hand).
  std::string put(const std::string& path, const std::string& body = "") const {
    std::string cmd = "curl -s -X PUT --max-time 5 --data-binary @- http://127.0.0.1:" + std::to_string(port_) + path + " <<'EOF'\n" + body + "\nEOF";
    std::unique_ptr<FILE, int (*)(FILE*)> p(popen(cmd.c_str(), "r"), pclose);
    std::string out;
    char buf[512];
    while (p && fgets(buf, sizeof buf, p.get())) out += buf;
    return out;
  }
  std::string log() const { return proc_ ? proc_->log() : ""; }

 private:
  unsigned short port_;
  std::filesystem::path dir_;
  std::unique_ptr<Process> proc_;
  std::unique_ptr<ReservedPort> held_;
};

}  // namespace svckit::test
