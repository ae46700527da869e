// svckit CLI — scaffolding: new services, their generator settings, Docker files.
// Each returns the process exit code: 0 success, 1 a file could not be written, 2 bad input.
//
// A service folder (what `svckit new service greeter` creates):
//   greeter/proto/greeter.proto   the API: add an rpc here, rebuild, implement it in service.cpp
//   greeter/svckit.cmake          generator settings (transport, --dmw), rewritten by `svckit generate service`
//   greeter/CMakeLists.txt        builds against the installed svckit; bindings regenerate on every build
//   greeter/service.hpp/.cpp      your logic (created once, never overwritten)
//   greeter/main.cpp              flags, servers, registration (created once, never overwritten)
//   greeter/README.md
#pragma once

#include <iosfwd>
#include <string>

namespace svckit::cli {

struct ServiceFlags {
  std::string name;              // lower_snake_case
  std::string module = ".";      // the folder holding service folders
  std::string transport = "both";  // grpc, http or both
  bool dmw = false;              // default logging and metrics middleware on every endpoint
};

/// `svckit new service NAME`: a new service folder that builds, runs and passes its test as is.
int new_service(const ServiceFlags& flags, std::ostream& out, std::ostream& err);

/// `svckit generate service NAME`: rewrites the generator settings (the bindings follow on the next build),
/// creates user files that are missing (never touching existing ones), and lists the generated bindings.
int generate_service(const ServiceFlags& flags, std::ostream& out, std::ostream& err);

/// `svckit generate docker`: a Dockerfile per service folder in `module` and a docker-compose.yml with a
/// 3-member etcd cluster and every service registered in it.
int generate_docker(const std::string& module, std::ostream& out, std::ostream& err);

}  // namespace svckit::cli
