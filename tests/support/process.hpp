// Test support: a child process (a service under test) with its output in a log file.
#pragma once

#include <sys/wait.h>

#include <chrono>
#include <csignal>
#include <fstream>
#include <string>
#include <thread>
#include <vector>

#include "support/etcd.hpp"

namespace svckit::test {

class Process {
 public:
  Process(std::vector<std::string> argv, std::string log) : argv_(std::move(argv)), log_(std::move(log)) { start(); }
  ~Process() { signal(SIGKILL); }
  Process(const Process&) = delete;
  Process& operator=(const Process&) = delete;
  bool running() const { return pid_ > 0; }
  pid_t pid() const { return pid_; }
  /// True while the process has not ended (it is reaped if it has: a crash is seen at once).
  bool alive() {
    if (pid_ <= 0) return false;
    int status = 0;
    if (waitpid(pid_, &status, WNOHANG) == 0) return true;
    pid_ = -1;
    ended_ = WIFEXITED(status) ? "exit code " + std::to_string(WEXITSTATUS(status)) : "signal " + std::to_string(WTERMSIG(status));
    return false;
  }
  /// How the process ended, once alive() has seen it end ("exit code 1", "signal 9"), else "".
  const std::string& ended() const { return ended_; }
  void start() { pid_ = svckit::test::spawn_process(argv_, log_); }
  /// Stops the process as an operator would (SIGTERM) and waits up to limit for it to exit; returns the exit
  /// code (128+signal if a signal ended it), or -1 if it was still running at the limit (it is then killed).
  /// A service must exit 0 after SIGTERM; under the sanitizers, a leak or a fault at exit makes it non-zero.
  int stop(std::chrono::milliseconds limit = std::chrono::seconds(20)) {
    if (pid_ <= 0) return -1;
    ::kill(pid_, SIGCONT);  // a stopped (SIGSTOP) child would never see the SIGTERM
    ::kill(pid_, SIGTERM);
    auto end = std::chrono::steady_clock::now() + limit;
    int status = 0;
    while (waitpid(pid_, &status, WNOHANG) == 0) {
      if (std::chrono::steady_clock::now() >= end) {
        signal(SIGKILL);
        return -1;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(5));  // poll interval, not a timing assumption
    }
    pid_ = -1;
    return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  }
  /// Sends sig and waits for the exit; returns the exit code (or 128+signal).
  int signal(int sig) {
    if (pid_ <= 0) return -1;
    ::kill(pid_, sig);
    int status = 0;
    waitpid(pid_, &status, 0);
    pid_ = -1;
    return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  }
  std::string log() const { return svckit::test::EtcdCluster::tail(log_); }
  /// The first line of the log that reports a sanitizer finding or a crash, or empty. Tests check every
  /// child they started, so a service's ASan/UBSan report or std::terminate fails the test that caused it.
  std::string fault() const { return fault_in(log_); }
  static std::string fault_in(const std::string& path) {
    std::ifstream in(path);
    std::string line;
    while (std::getline(in, line))
      for (const char* marker : {"ERROR: AddressSanitizer", "ERROR: LeakSanitizer", "AddressSanitizer:DEADLYSIGNAL",
                                 "WARNING: ThreadSanitizer", "ThreadSanitizer:DEADLYSIGNAL", "runtime error:",
                                 "terminate called"})
        if (line.find(marker) != std::string::npos) return line;
    return {};
  }

 private:
  std::vector<std::string> argv_;
  std::string log_;
  pid_t pid_ = -1;
  std::string ended_;
};

}  // namespace svckit::test
