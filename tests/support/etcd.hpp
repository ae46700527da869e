// Test support: real etcd servers (Debian's etcd-server), on free loopback ports with temporary data dirs.
//
//   svckit::test::EtcdCluster etcd(1);          // or 3 for a real cluster
//   auto client = svckit::sd::etcd::Client::create({.endpoints = etcd.endpoints()});
//   etcd.member(0).kill();  etcd.member(0).start();
//
// Each member's output goes to <data dir>/etcd.log (kept when a test fails, printed on timeout).
#pragma once

#include <fcntl.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <memory>
#include <sstream>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/write.hpp>

#ifdef SVCKIT_GTEST
#include <gtest/gtest.h>
#endif

#include "support/reserved_port.hpp"
#include "support/run.hpp"

extern char** environ;

namespace svckit::test {

/// A free TCP port on 127.0.0.1 (bound then released; fine for loopback tests).
inline unsigned short free_port() {
  boost::asio::io_context io;
  boost::asio::ip::tcp::acceptor a(io, {boost::asio::ip::make_address("127.0.0.1"), 0});
  return a.local_endpoint().port();
}

/// Whether something accepts connections on 127.0.0.1:port now.
inline bool port_open(unsigned short port) {
  boost::asio::io_context io;
  boost::asio::ip::tcp::socket s(io);
  boost::system::error_code ec;
  s.connect({boost::asio::ip::make_address("127.0.0.1"), port}, ec);
  return !ec;
}

/// Starts a process; its stdout and stderr go to log_path. Returns the pid. The child is killed if the
/// thread that started it dies (PR_SET_PDEATHSIG), so a crashed test leaves no etcd or service behind.
inline pid_t spawn_process(const std::vector<std::string>& argv, const std::string& log_path) {
  std::vector<char*> args;
  for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  pid_t parent = getpid();
  pid_t pid = fork();
  if (pid < 0) throw std::runtime_error(std::string("fork: ") + std::strerror(errno));
  if (pid == 0) {  // only async-signal-safe calls until exec
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    // A process group of its own: a child a test has stopped (SIGSTOP) must not get the SIGHUP the kernel sends
    // to the stopped members of a group that becomes orphaned — the test's group, when some other process in
    // it exits (a frozen consul stand-in died that way, killed by SIGHUP, in full runs of the suite).
    setpgid(0, 0);
    if (getppid() != parent) _exit(127);  // the parent is already gone
    int fd = open(log_path.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
    if (fd >= 0) {
      dup2(fd, 1);
      dup2(fd, 2);
      close(fd);
    }
    execvp(args[0], args.data());
    _exit(127);
  }
  return pid;
}

/// GET path on host:port (127.0.0.1 unless given); the body, or empty on any failure.
inline std::string http_get(unsigned short port, const std::string& path, const std::string& host = "127.0.0.1") {
  try {
    boost::asio::io_context io;
    boost::asio::ip::tcp::socket s(io);
    s.connect({boost::asio::ip::make_address(host), port});
    std::string req = "GET " + path + " HTTP/1.0\r\nHost: " + host + "\r\n\r\n";
    boost::asio::write(s, boost::asio::buffer(req));
    std::string out;
    boost::system::error_code ec;
    boost::asio::read(s, boost::asio::dynamic_buffer(out), ec);
    return out;
  } catch (...) {
    return {};
  }
}

/// Server certificate and key (PEM) to serve clients over TLS, and the CA that signed them.
struct EtcdTls {
  std::string ca_file, cert_file, key_file;
  bool enabled() const { return !cert_file.empty(); }
};

/// Where a member runs: on loopback in the test's own namespace (free ports), or on a host of a fleet test
/// (support/netns.hpp: run inside its namespace, clients and peers on its addresses, ports 2379 and 2380).
struct EtcdPlacement {
  std::vector<std::string> exec_prefix;  // e.g. {"ip", "netns", "exec", ns}
  std::string client_host = "127.0.0.1";
  std::string peer_host = "127.0.0.1";
  bool own_namespace() const { return !exec_prefix.empty(); }
};

class EtcdMember {
 public:
  EtcdMember(std::string name, std::filesystem::path dir, EtcdTls tls = {}, EtcdPlacement where = {})
      : name_(std::move(name)), dir_(std::move(dir)), tls_(std::move(tls)), where_(std::move(where)),
        client_port_(where_.own_namespace() ? 2379 : free_port()),
        peer_port_(where_.own_namespace() ? 2380 : free_port()) {}
  ~EtcdMember() { kill(); }

  std::string client_url() const {
    return (tls_.enabled() ? "https://" : "http://") + where_.client_host + ":" + std::to_string(client_port_);
  }
  std::string peer_url() const { return "http://" + where_.peer_host + ":" + std::to_string(peer_port_); }
  std::string endpoint() const { return where_.client_host + ":" + std::to_string(client_port_); }
  pid_t pid() const { return pid_; }
  const std::string& name() const { return name_; }
  bool running() const { return pid_ > 0; }
  std::filesystem::path log_path() const { return dir_ / "etcd.log"; }
  std::filesystem::path data_dir() const { return dir_ / "data"; }
  const std::string& initial_cluster() const { return initial_cluster_; }

  /// initial_cluster: "n0=http://…,n1=http://…"; state "new" or "existing". Does not wait.
  void start(const std::string& initial_cluster, const std::string& state = "new") {
    if (pid_ > 0) return;
    held_ports_.clear();  // ours again, for etcd to bind
    initial_cluster_ = initial_cluster;
    std::vector<std::string> args{
        "etcd", "--name", name_, "--data-dir", (dir_ / "data").string(), "--listen-client-urls", client_url(),
        "--advertise-client-urls", client_url(), "--listen-peer-urls", peer_url(), "--initial-advertise-peer-urls",
        peer_url(), "--initial-cluster", initial_cluster, "--initial-cluster-state", state,
        "--initial-cluster-token", "svckit-test", "--heartbeat-interval", "50", "--election-timeout", "500",
        "--logger", "zap", "--log-level", "warn"};
    if (tls_.enabled()) {
      for (std::string a : {"--cert-file", tls_.cert_file.c_str(), "--key-file", tls_.key_file.c_str()}) args.push_back(a);
    }
    args.insert(args.begin(), where_.exec_prefix.begin(), where_.exec_prefix.end());
    pid_ = spawn_process(args, log_path().string());
  }
  /// Starts again with the same data (after stop() or kill()).
  void restart() { start(initial_cluster_, "existing"); }

  /// True once the member answers /health with a leader.
  bool healthy() const {
    std::string body;
    if (tls_.enabled()) {  // through curl, which speaks TLS
      std::string cmd = "curl -s --max-time 2 --cacert " + tls_.ca_file + " " + client_url() + "/health";
      std::unique_ptr<FILE, int (*)(FILE*)> p(popen(cmd.c_str(), "r"), pclose);
      char buf[256];
      while (p && fgets(buf, sizeof buf, p.get())) body += buf;
    } else {
      body = http_get(client_port_, "/health", where_.client_host);
    }
    return body.find("\"health\":\"true\"") != std::string::npos;
  }

  /// True when the member's process has ended by itself (e.g. it could not bind its ports).
  bool exited() {
    if (pid_ <= 0) return false;
    int status = 0;
    if (waitpid(pid_, &status, WNOHANG) != pid_) return false;
    pid_ = -1;
    return true;
  }

  void stop() { signal_and_wait(SIGTERM); }
  void kill() { signal_and_wait(SIGKILL); }
  /// Freezes (SIGSTOP) or thaws (SIGCONT) the member: it keeps its sockets but stops answering. Returns once
  /// the kernel reports the process stopped (or running again): the signal alone is only queued, and a
  /// request sent at once could still be answered.
  void pause() { signal_and_await_state(SIGSTOP, true); }
  void resume() { signal_and_await_state(SIGCONT, false); }
  /// Whether the process is stopped now (state T in /proc/PID/stat).
  bool stopped() const {
    std::ifstream in("/proc/" + std::to_string(pid_) + "/stat");
    std::string stat((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    auto close = stat.rfind(')');  // the state follows the command name, which may hold spaces
    return close != std::string::npos && close + 2 < stat.size() && stat[close + 2] == 'T';
  }

 private:
  void signal_and_wait(int sig) {
    if (pid_ <= 0) return;
    ::kill(pid_, SIGCONT);
    ::kill(pid_, sig);
    int status = 0;
    waitpid(pid_, &status, 0);
    pid_ = -1;
    // Down, perhaps for a restart: the ports stay ours meanwhile (a test beside us once got the peer port
    // from free_port() during a 30 s outage, and the restart failed to bind it).
    if (!where_.own_namespace())
      for (auto port : {client_port_, peer_port_}) held_ports_.push_back(std::make_unique<ReservedPort>(port));
  }

  void signal_and_await_state(int sig, bool want_stopped) {
    if (pid_ <= 0) return;
    ::kill(pid_, sig);
    if (!wait_until([&] { return stopped() == want_stopped; }, std::chrono::seconds(10)))
      throw std::runtime_error("etcd " + name_ + (want_stopped ? " did not stop" : " did not continue"));
  }

  std::string name_;
  std::filesystem::path dir_;
  EtcdTls tls_;
  EtcdPlacement where_;
  unsigned short client_port_, peer_port_;
  std::string initial_cluster_;
  std::vector<std::unique_ptr<ReservedPort>> held_ports_;  // while stopped
  pid_t pid_ = -1;
};

/// n members forming one cluster, started and healthy when the constructor returns.
class EtcdCluster {
 public:
  explicit EtcdCluster(int n = 1, EtcdTls tls = {}) : EtcdCluster(std::vector<EtcdPlacement>(static_cast<std::size_t>(n)), tls) {}
  /// One member per placement (on the hosts of a fleet test).
  explicit EtcdCluster(const std::vector<EtcdPlacement>& where, EtcdTls tls = {}) {
    const int n = static_cast<int>(where.size());
    char tmpl[] = "/tmp/svckit-etcd-XXXXXX";
    if (!mkdtemp(tmpl)) throw std::runtime_error("mkdtemp failed");
    root_ = tmpl;
    // free_port() only finds a port that was free a moment ago: another test running in parallel may take
    // it first. A member that cannot bind exits at once; then start the cluster again on fresh ports.
    for (int attempt = 1;; ++attempt) {
      members_.clear();
      std::error_code ec;
      for (const auto& e : std::filesystem::directory_iterator(root_, ec)) std::filesystem::remove_all(e.path(), ec);
      for (int i = 0; i < n; ++i) {
        auto dir = root_ / ("n" + std::to_string(i));
        std::filesystem::create_directories(dir);
        members_.push_back(std::make_unique<EtcdMember>("n" + std::to_string(i), dir, tls, where[static_cast<std::size_t>(i)]));
      }
      std::string initial;
      for (const auto& m : members_) initial += (initial.empty() ? "" : ",") + m->name() + "=" + m->peer_url();
      for (auto& m : members_) m->start(initial);
      try {
        wait_healthy();
        return;
      } catch (const std::runtime_error&) {
        bool port_taken = false;
        for (const auto& m : members_) port_taken |= tail(m->log_path()).find("address already in use") != std::string::npos;
        if (!port_taken || attempt == 5) throw;
      }
    }
  }
  ~EtcdCluster() {
    members_.clear();  // kills them
#ifdef SVCKIT_GTEST  // test targets (tests/CMakeLists.txt): a failed test keeps its members' logs and data
    if (::testing::Test::HasFailure()) {
      std::fprintf(stderr, "etcd data and logs kept in %s (the test failed)\n", root_.c_str());
      return;
    }
#endif
    std::error_code ec;
    std::filesystem::remove_all(root_, ec);
  }

  EtcdMember& member(std::size_t i) { return *members_.at(i); }
  std::size_t size() const { return members_.size(); }
  std::vector<std::string> endpoints() const {
    std::vector<std::string> out;
    for (const auto& m : members_) out.push_back(m->endpoint());
    return out;
  }
  std::string url() const {
    std::string u = "etcd://";
    for (std::size_t i = 0; i < members_.size(); ++i) u += (i ? "," : "") + members_[i]->endpoint();
    return u;
  }

  /// Waits until every running member reports healthy (throws after the limit, with the logs' tails).
  void wait_healthy(std::chrono::seconds limit = std::chrono::seconds(30)) {
    auto end = std::chrono::steady_clock::now() + limit;
    for (auto& m : members_) {
      if (!m->running()) continue;
      bool died = false;
      auto left = std::chrono::duration_cast<std::chrono::milliseconds>(end - std::chrono::steady_clock::now());
      bool up = wait_until([&] { return m->healthy() || (died = m->exited()); }, left);
      if (!up || died) throw std::runtime_error("etcd " + m->name() + " not healthy; log: " + tail(m->log_path()));
    }
  }

  /// The index of the current leader, asked through etcdctl (-1 if none answers).
  int leader() const {
    for (std::size_t i = 0; i < members_.size(); ++i) {
      if (!members_[i]->running()) continue;
      std::string cmd = "etcdctl --endpoints=" + members_[i]->endpoint() + " endpoint status -w fields 2>/dev/null";
      std::unique_ptr<FILE, int (*)(FILE*)> p(popen(cmd.c_str(), "r"), pclose);
      if (!p) continue;
      std::string out;
      char buf[512];
      while (fgets(buf, sizeof buf, p.get())) out += buf;
      auto field = [&](const std::string& name) {
        auto pos = out.find("\"" + name + "\" : ");
        if (pos == std::string::npos) return std::string();
        auto start = pos + name.size() + 5;
        return out.substr(start, out.find('\n', start) - start);
      };
      std::string leader = field("Leader"), self = field("MemberID");
      if (!leader.empty() && leader == self) return static_cast<int>(i);
    }
    return -1;
  }

  static std::string tail(const std::filesystem::path& p) {
    std::ifstream in(p);
    std::stringstream s;
    s << in.rdbuf();
    auto all = s.str();
    return all.size() > 2000 ? all.substr(all.size() - 2000) : all;
  }

 private:
  std::filesystem::path root_;
  std::vector<std::unique_ptr<EtcdMember>> members_;
};

}  // namespace svckit::test
