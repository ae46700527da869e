// The paths of build_paths.hpp: each defined only where the target's definitions give it.
#include "support/build_paths.hpp"

namespace svckit::test::paths {

#ifdef SVCKIT_SOURCE_DIR
std::string source_dir() { return SVCKIT_SOURCE_DIR; }
#endif
#ifdef STRINGSVC_BIN
std::string stringsvc() { return STRINGSVC_BIN; }
#endif
#ifdef STRINGSVC_CLIENT_BIN
std::string stringsvc_client() { return STRINGSVC_CLIENT_BIN; }
#endif
#ifdef NOTIFICATOR_BIN
std::string notificator() { return NOTIFICATOR_BIN; }
#endif
#ifdef USERS_BIN
std::string users() { return USERS_BIN; }
#endif
#ifdef BUGS_BIN
std::string bugs() { return BUGS_BIN; }
#endif
#ifdef SVCKIT_CLI
std::string svckit_cli() { return SVCKIT_CLI; }
#endif
#ifdef GOKIT_ETCDV3
std::string gokit_etcdv3() { return GOKIT_ETCDV3; }
#endif
#ifdef GOKIT_GRPC
std::string gokit_grpc() { return GOKIT_GRPC; }
#endif

}  // namespace svckit::test::paths
