// Test support: a throwaway PKI made by scripts/make-certs.sh (openssl) once per test process, and running
// a command line to capture what it prints (curl, Python clients nobody here wrote).
#pragma once

#include <sys/wait.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <stdexcept>
#include <string>
#include "support/build_paths.hpp"

namespace svckit::test {

/// The directory holding ca.crt, server.crt/.key, client.crt/.key, other-ca.crt, other-client.crt/.key.
inline const std::string& certs_dir() {
  // Never destroyed: the atexit hook that removes the directory runs after function-local statics die.
  static const std::string* dir = [] {
    auto d = std::filesystem::temp_directory_path() / ("svckit-certs-" + std::to_string(::getpid()));
    std::string cmd = "bash " + svckit::test::paths::source_dir() + "/scripts/make-certs.sh " + d.string() + " > /dev/null";
    if (std::system(cmd.c_str()) != 0) throw std::runtime_error("make-certs.sh failed");
    auto* kept = new std::string(d.string());
    std::atexit([] { std::filesystem::remove_all(*dir); });
    return kept;
  }();
  return *dir;
}
inline std::string cert(const std::string& name) { return certs_dir() + "/" + name; }

struct CommandResult {
  int exit_code = -1;
  std::string output;  // stdout and stderr
};

/// Runs a shell command line, capturing stdout and stderr.
inline CommandResult run_command(const std::string& command) {
  CommandResult r;
  FILE* p = ::popen((command + " 2>&1").c_str(), "r");
  if (!p) return r;
  char buf[4096];
  for (std::size_t n; (n = std::fread(buf, 1, sizeof buf, p)) > 0;) r.output.append(buf, n);
  int status = ::pclose(p);
  r.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return r;
}

}  // namespace svckit::test
