// Test support: a real DNS server (Debian's dnsmasq) on a free loopback port, serving the SRV, A and AAAA
// records a test gives it with a 1 s TTL, authoritative for example.internal (a name it does not hold there
// is NXDOMAIN). restart() serves new records on the same port (dnsmasq reads SRV records only at start).
//
//   svckit::test::Dnsmasq dns({"--srv-host=_users._tcp.example.internal,u1.example.internal,8080,0,5",
//                              "--host-record=u1.example.internal,127.0.0.1"});
//   auto registry = svckit::sd::Registry::open("dns+srv://example.internal?resolver=" + dns.address());
#pragma once

#include <chrono>
#include <filesystem>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

#include "support/etcd.hpp"  // free_port
#include "support/process.hpp"
#include "support/run.hpp"

namespace svckit::test {

class Dnsmasq {
 public:
  explicit Dnsmasq(std::vector<std::string> records) : port_(free_port()) {
    char tmpl[] = "/tmp/svckit-dnsmasq-XXXXXX";
    if (!mkdtemp(tmpl)) throw std::runtime_error("mkdtemp failed");
    dir_ = tmpl;
    start(std::move(records));
  }
  ~Dnsmasq() {
    proc_.reset();
    std::filesystem::remove_all(dir_);
  }
  std::string address() const { return "127.0.0.1:" + std::to_string(port_); }

  void start(std::vector<std::string> records) {
    std::vector<std::string> argv{"/usr/sbin/dnsmasq", "--keep-in-foreground", "--port=" + std::to_string(port_),
                                  "--listen-address=127.0.0.1", "--bind-interfaces", "--no-resolv", "--no-hosts",
                                  "--conf-file=/dev/null", "--user=root", "--group=root", "--local-ttl=1",
                                  "--local=/example.internal/",
                                  "--pid-file=" + (dir_ / "pid").string(), "--log-facility=" + (dir_ / "dnsmasq.log").string()};
    argv.insert(argv.end(), records.begin(), records.end());
    proc_ = std::make_unique<Process>(argv, (dir_ / "stderr.log").string());
    // Up once it answers on TCP too (dnsmasq listens on both; the TCP port is the one a test can probe).
    if (!wait_until([&] { return port_open(port_); }, std::chrono::seconds(10)))
      throw std::runtime_error("dnsmasq did not start: " + proc_->log());
  }
  void stop() { proc_.reset(); }
  void restart(std::vector<std::string> records) {
    stop();
    start(std::move(records));
  }

 private:
  unsigned short port_;
  std::filesystem::path dir_;
  std::unique_ptr<Process> proc_;
};

}  // namespace svckit::test
