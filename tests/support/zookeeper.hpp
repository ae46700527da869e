// Test support: real ZooKeeper servers (Debian's zookeeperd, ZooKeeper 3.8 on the JVM) on free loopback
// ports with temporary data dirs: one standalone server, or an ensemble of three.
//
//   svckit::test::ZooKeeper zk(1);                // or 3
//   auto url = zk.url();                          // "zk://127.0.0.1:p1[,…]"
//   zk.server(0).stop();  zk.server(0).start();   // same data, same ports
//
// tickTime is 100 ms, so sessions may last 200 ms to 2 s (`?session_timeout_ms=`); each server's output is
// in <dir>/zkN/zookeeper.log.
#pragma once

#include <signal.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <memory>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "support/etcd.hpp"  // free_port, port_open, spawn_process
#include "support/reserved_port.hpp"
#include "support/run.hpp"

namespace svckit::test {

class ZooKeeperServer {
 public:
  ZooKeeperServer(int id, std::filesystem::path dir) : id_(id), dir_(std::move(dir)), client_port_(free_port()),
                                                       quorum_port_(free_port()), election_port_(free_port()) {
    std::filesystem::create_directories(dir_ / "data");
    std::ofstream(dir_ / "data" / "myid") << id_ << "\n";
  }
  ~ZooKeeperServer() { kill(); }

  std::string endpoint() const { return "127.0.0.1:" + std::to_string(client_port_); }
  unsigned short client_port() const { return client_port_; }
  std::string peer_line() const {
    return "server." + std::to_string(id_) + "=127.0.0.1:" + std::to_string(quorum_port_) + ":" +
           std::to_string(election_port_);
  }
  std::filesystem::path log_path() const { return dir_ / "zookeeper.log"; }
  bool running() const { return pid_ > 0; }
  pid_t pid() const { return pid_; }

  /// Writes the configuration (`peers`: every server's peer_line, empty for a standalone server) and starts
  /// the JVM. Does not wait.
  void start(const std::vector<std::string>& peers) {
    if (pid_ > 0) return;
    held_ports_.clear();  // ours again, for the server to bind
    peers_ = peers;
    std::ofstream cfg(dir_ / "zoo.cfg", std::ios::trunc);
    cfg << "tickTime=100\ninitLimit=50\nsyncLimit=10\n"
        << "dataDir=" << (dir_ / "data").string() << "\n"
        << "clientPort=" << client_port_ << "\nclientPortAddress=127.0.0.1\n"
        << "admin.enableServer=false\nmaxClientCnxns=200\n";
    for (const auto& p : peers) cfg << p << "\n";
    cfg.close();
    pid_ = spawn_process({"java", "-Xmx256m", "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1", "-Dzookeeper.admin.enableServer=false",
                          "-cp", "/etc/zookeeper/conf:/usr/share/java/zookeeper.jar",
                          "org.apache.zookeeper.server.quorum.QuorumPeerMain", (dir_ / "zoo.cfg").string()},
                         log_path().string());
  }
  void start() { start(peers_); }
  void stop() { signal_and_wait(SIGTERM); }
  void kill() { signal_and_wait(SIGKILL); }
  /// Freezes (SIGSTOP) or thaws (SIGCONT) the server: it keeps its sockets and answers nothing.
  void pause() { ::kill(pid_, SIGSTOP); }
  void resume() { ::kill(pid_, SIGCONT); }

 private:
  void signal_and_wait(int sig) {
    if (pid_ <= 0) return;
    ::kill(pid_, SIGCONT);
    ::kill(pid_, sig);
    int status = 0;
    waitpid(pid_, &status, 0);
    pid_ = -1;
    // Down, perhaps for a restart: its ports stay ours meanwhile, so no test beside us is given them.
    for (auto port : {client_port_, quorum_port_, election_port_}) held_ports_.push_back(std::make_unique<ReservedPort>(port));
  }
  int id_;
  std::filesystem::path dir_;
  unsigned short client_port_, quorum_port_, election_port_;
  std::vector<std::string> peers_;
  std::vector<std::unique_ptr<ReservedPort>> held_ports_;  // while stopped
  pid_t pid_ = -1;
};

class ZooKeeper {
 public:
  explicit ZooKeeper(int size = 1) {
    char tmpl[] = "/tmp/svckit-zk-XXXXXX";
    if (!mkdtemp(tmpl)) throw std::runtime_error("mkdtemp failed");
    dir_ = tmpl;
    for (int i = 0; i < size; ++i) servers_.push_back(std::make_unique<ZooKeeperServer>(i + 1, dir_ / ("zk" + std::to_string(i + 1))));
    std::vector<std::string> peers;
    if (size > 1)
      for (auto& s : servers_) peers.push_back(s->peer_line());
    for (auto& s : servers_) s->start(peers);
    if (!wait_ready(std::chrono::seconds(60))) throw std::runtime_error("ZooKeeper did not start: " + tail());
  }
  ~ZooKeeper() {
    servers_.clear();
    std::filesystem::remove_all(dir_);
  }

  ZooKeeperServer& server(std::size_t i) { return *servers_.at(i); }
  std::size_t size() const { return servers_.size(); }
  /// "zk://h:p,…" plus `rest` ("/root?session_timeout_ms=1000").
  std::string url(const std::string& rest = "") const {
    std::string u = "zk://";
    for (std::size_t i = 0; i < servers_.size(); ++i) u += (i ? "," : "") + servers_[i]->endpoint();
    return u + rest;
  }

  /// Whether each running server answers "ruok" with "imok" and the ensemble serves (srvr names a mode).
  bool serving() const {
    for (const auto& s : servers_)
      if (s->running() && four_letter(s->client_port(), "srvr").find("Mode: ") == std::string::npos) return false;
    return true;
  }
  bool wait_ready(std::chrono::milliseconds limit) const { return wait_until([&] { return serving(); }, limit); }

  /// The mode of server i ("leader", "follower", "standalone"), or "" when it does not serve.
  std::string mode(std::size_t i) const {
    auto out = four_letter(servers_.at(i)->client_port(), "srvr");
    auto at = out.find("Mode: ");
    if (at == std::string::npos) return {};
    return out.substr(at + 6, out.find('\n', at) - at - 6);
  }

  std::string tail() const {
    std::string out;
    for (const auto& s : servers_) out += EtcdCluster::tail(s->log_path().string());
    return out;
  }

  /// Sends a four-letter command (srvr is on ZooKeeper's default whitelist) and returns the answer (empty
  /// when none comes within 2 s).
  static std::string four_letter(unsigned short port, const std::string& cmd) {
    // Plain sockets: a server still starting accepts and does not answer, and a read must not wait for ever.
    int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) return {};
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(port);
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    std::string out;
    if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0 &&
        ::send(fd, cmd.data(), cmd.size(), MSG_NOSIGNAL) == static_cast<ssize_t>(cmd.size())) {
      const auto end = std::chrono::steady_clock::now() + std::chrono::seconds(2);
      char buf[4096];
      for (;;) {
        auto left = std::chrono::duration_cast<std::chrono::milliseconds>(end - std::chrono::steady_clock::now()).count();
        pollfd p{fd, POLLIN, 0};
        if (left <= 0 || ::poll(&p, 1, static_cast<int>(left)) <= 0) break;
        ssize_t n = ::recv(fd, buf, sizeof buf, 0);
        if (n <= 0) break;
        out.append(buf, static_cast<std::size_t>(n));
      }
    }
    ::close(fd);
    return out;
  }

 private:
  std::filesystem::path dir_;
  std::vector<std::unique_ptr<ZooKeeperServer>> servers_;
};

}  // namespace svckit::test
