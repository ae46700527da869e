// Test support for fleet tests: "hosts" as Linux network namespaces, joined by virtual networks (a bridge in
// the test's own namespace and one veth pair per host), so a test can cut a host off, partition it from some
// of its peers, or delay its packets, while the test process reaches every host through the bridge.
//
//   svckit::test::VirtualNetwork net;                       // 198.18.N.0/24, the test at 198.18.N.1
//   svckit::test::NetHost a("a");                            // an empty namespace with lo up
//   std::string ip = a.join(net);                            // 198.18.N.2
//   Process p(a.run({"etcd", "--listen-client-urls", "http://" + ip + ":2379", …}), log);
//   a.cut(net);  a.heal(net);  a.delay(net, 200ms);
//
// Needs CAP_NET_ADMIN (root): a test that cannot create namespaces throws, and so fails, rather than skips.
// Addresses come from 198.18.0.0/15 (RFC 2544, for network tests); each network takes the first free bridge
// name svkbrN, which also picks N, so tests running in parallel never share a network. Everything created is
// deleted by the destructors; declare networks and hosts before the processes that run in them, so the
// processes are stopped first.
#pragma once

#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

namespace svckit::test {

/// Runs a shell command; its output (stdout and stderr), or throws with it when the command fails.
inline std::string sh(const std::string& cmd) {
  std::unique_ptr<FILE, int (*)(FILE*)> p(popen((cmd + " 2>&1").c_str(), "r"), pclose);
  if (!p) throw std::runtime_error("popen failed: " + cmd);
  std::string out;
  char buf[512];
  while (fgets(buf, sizeof buf, p.get())) out += buf;
  int rc = pclose(p.release());
  if (rc != 0) throw std::runtime_error("`" + cmd + "` failed (" + std::to_string(rc) + "): " + out);
  return out;
}

class VirtualNetwork {
 public:
  VirtualNetwork() {
    std::string last_error;
    for (int n = 0; n < 512; ++n) {
      std::string name = "svkbr" + std::to_string(n);
      try {
        sh("ip link add " + name + " type bridge");
      } catch (const std::runtime_error& e) {
        last_error = e.what();
        if (last_error.find("File exists") != std::string::npos) continue;  // another test's network
        throw std::runtime_error("cannot create a virtual network (fleet tests need CAP_NET_ADMIN): " + last_error);
      }
      bridge_ = name;
      index_ = n;
      break;
    }
    if (bridge_.empty()) throw std::runtime_error("no free virtual network: " + last_error);
    sh("ip addr add " + address(1) + "/24 dev " + bridge_ + " && ip link set " + bridge_ + " up");
  }
  ~VirtualNetwork() {
    try {
      sh("ip link del " + bridge_);
    } catch (...) {
    }
  }
  VirtualNetwork(const VirtualNetwork&) = delete;
  VirtualNetwork& operator=(const VirtualNetwork&) = delete;

  /// The address of host number i on this network (1 is the test's own namespace).
  std::string address(int i) const {
    return "198." + std::to_string(18 + index_ / 256) + "." + std::to_string(index_ % 256) + "." + std::to_string(i);
  }
  const std::string& bridge() const { return bridge_; }
  int index() const { return index_; }
  /// The next host number to hand out (2, 3, …).
  int take_host_number() { return next_host_++; }

 private:
  std::string bridge_;
  int index_ = -1;
  int next_host_ = 2;
};

class NetHost {
 public:
  explicit NetHost(std::string name) : name_(std::move(name)) {
    static int counter = 0;
    ns_ = "svk" + std::to_string(getpid()) + "-" + std::to_string(counter++) + "-" + name_;
    sh("ip netns add " + ns_);
    sh("ip -n " + ns_ + " link set lo up");
  }
  ~NetHost() {
    if (!etc_dir_.empty()) {
      std::error_code ec;
      std::filesystem::remove_all(etc_dir_, ec);
    }
    for (const auto& leg : legs_) {
      try {
        sh("ip link del " + leg.outside);  // deletes both ends
      } catch (...) {
      }
    }
    try {
      sh("ip netns del " + ns_);
    } catch (...) {
    }
  }
  NetHost(const NetHost&) = delete;
  NetHost& operator=(const NetHost&) = delete;

  const std::string& name() const { return name_; }
  const std::string& netns() const { return ns_; }

  /// Connects the host to net (a veth pair: one end on the bridge, the other inside); its address there.
  std::string join(VirtualNetwork& net) {
    int i = net.take_host_number();
    Leg leg{&net, "svk" + std::to_string(net.index()) + "h" + std::to_string(i), "eth" + std::to_string(legs_.size()),
            net.address(i)};
    sh("ip link add " + leg.outside + " type veth peer name " + leg.inside + " netns " + ns_);
    sh("ip link set " + leg.outside + " master " + net.bridge() + " up");
    sh("ip -n " + ns_ + " addr add " + leg.address + "/24 dev " + leg.inside + " && ip -n " + ns_ + " link set " +
       leg.inside + " up");
    legs_.push_back(leg);
    return leg.address;
  }
  /// The host's address on net.
  std::string address(const VirtualNetwork& net) const { return leg(net).address; }

  /// Cuts the host off net (its link goes down: packets vanish, nothing is refused) or joins it again.
  void cut(const VirtualNetwork& net) { sh("ip link set " + leg(net).outside + " down"); }
  void heal(const VirtualNetwork& net) { sh("ip link set " + leg(net).outside + " up"); }
  /// Delays every packet the host sends on net (0 removes the delay).
  void delay(const VirtualNetwork& net, std::chrono::milliseconds d) {
    const auto& l = leg(net);
    if (d.count() == 0)
      sh("ip netns exec " + ns_ + " tc qdisc del dev " + l.inside + " root");
    else
      sh("ip netns exec " + ns_ + " tc qdisc replace dev " + l.inside + " root netem delay " + std::to_string(d.count()) + "ms");
  }

  /// What programs run on this host find in /etc/hosts (`ip netns exec` mounts /etc/netns/NS/hosts over it).
  /// Rewritten in place, so a program already running sees the change at its next lookup.
  void set_hosts(const std::string& lines) {
    etc_dir_ = "/etc/netns/" + ns_;
    std::filesystem::create_directories(etc_dir_);
    std::ofstream out(etc_dir_ + "/hosts", std::ios::trunc);
    out << "127.0.0.1 localhost\n" << lines;
    if (!out) throw std::runtime_error("cannot write " + etc_dir_ + "/hosts");
  }

  /// argv run inside the host's namespace (`ip netns exec` execs it: the pid is the program's own).
  std::vector<std::string> run(std::vector<std::string> argv) const {
    argv.insert(argv.begin(), {"ip", "netns", "exec", ns_});
    return argv;
  }

 private:
  struct Leg {
    const VirtualNetwork* net;
    std::string outside, inside, address;
  };
  const Leg& leg(const VirtualNetwork& net) const {
    for (const auto& l : legs_)
      if (l.net == &net) return l;
    throw std::invalid_argument("host " + name_ + " is not on network " + net.bridge());
  }

  std::string name_, ns_;
  std::string etc_dir_;  // /etc/netns/NS when set_hosts was used
  std::vector<Leg> legs_;
};

}  // namespace svckit::test
