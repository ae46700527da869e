// Test support: an example stringsvc as a real process, registering in a registry (the targets that use this
// are given its path: svckit_test_paths, STRINGSVC_BIN). Every port is the kernel's choice, so instances never collide.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "support/build_paths.hpp"
#include "support/process.hpp"

namespace svckit::test {

/// A stringsvc registered in `registry`, its output in `log_path`; `extra` flags are added (e.g.
/// {"--register-ttl", "3"}).
inline std::unique_ptr<Process> start_stringsvc(const std::string& registry, const std::string& log_path,
                                                const std::vector<std::string>& extra = {}) {
  std::vector<std::string> argv{svckit::test::paths::stringsvc(), "--http-addr", "127.0.0.1:0", "--grpc-addr", "127.0.0.1:0", "--debug-addr", "127.0.0.1:0",
                                "--registry", registry};
  argv.insert(argv.end(), extra.begin(), extra.end());
  return std::make_unique<Process>(argv, log_path);
}

}  // namespace svckit::test
