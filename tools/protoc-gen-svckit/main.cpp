// protoc-gen-svckit — protoc plugin generating svckit bindings (see generator.hpp for what and how).
//   protoc --plugin=protoc-gen-svckit=$(which protoc-gen-svckit) --cpp_out=gen
//          --svckit_out=transport=both,dmw,test:gen -I proto proto/greeter.proto
// (svckit_service_library() in cmake/SvckitService.cmake runs exactly that on every build.)
#include <google/protobuf/compiler/plugin.h>

#include "generator.hpp"

int main(int argc, char* argv[]) {
  svckit::gen::SvckitGenerator generator;
  return google::protobuf::compiler::PluginMain(argc, argv, &generator);
}
