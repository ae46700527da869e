// Where a test finds the checkout and the programs it runs.
//
// Each is defined in build_paths.cpp, compiled once per test target with that target's paths as definitions
// (svckit_test_paths, cmake/SvckitTestPaths.cmake). Only that small source carries absolute paths: a path in a
// definition of the whole target made every one of its sources a compiler-cache miss in a checkout elsewhere
// (CI's clean clone). A test that calls a path its target was not given fails to link, naming it.
#pragma once

#include <string>

namespace svckit::test::paths {

std::string source_dir();         // the checkout: scripts, Python helpers, protos (SVCKIT_SOURCE_DIR)
std::string stringsvc();          // examples/stringsvc's server (STRINGSVC_BIN)
std::string stringsvc_client();   // its command-line client (STRINGSVC_CLIENT_BIN)
std::string notificator();        // the bug tracker's services (NOTIFICATOR_BIN, USERS_BIN, BUGS_BIN)
std::string users();
std::string bugs();
std::string svckit_cli();         // the svckit command (SVCKIT_CLI)
std::string gokit_etcdv3();       // go-kit interop programs (GOKIT_ETCDV3, GOKIT_GRPC)
std::string gokit_grpc();

}  // namespace svckit::test::paths
