// protoc-gen-svckit — the code generator: svckit bindings for every service of a .proto file.
//
// For foo.proto it writes, next to protoc's foo.pb.h:
//   foo.svckit.h / foo.svckit.cc  the service interface, endpoints, HTTP/JSON and gRPC server bindings,
//                                 clients to one address and through the registry (balanced, retried)
//   foo.svckit_test.cc            (option `test`) a GoogleTest suite checking each method answers alike in
//                                 process and over every generated transport
// Parameters (protoc --svckit_out=PARAMS:DIR), comma-separated:
//   transport=grpc|http|both  (default both)   which server bindings and clients to generate
//   dmw                                         wrap every endpoint in the default logging and metrics middleware
//   test                                        also write the test suite
#pragma once

#include <google/protobuf/compiler/code_generator.h>

namespace svckit::gen {

class SvckitGenerator : public google::protobuf::compiler::CodeGenerator {
 public:
  bool Generate(const google::protobuf::FileDescriptor* file, const std::string& parameter,
                google::protobuf::compiler::GeneratorContext* context, std::string* error) const override;
  std::uint64_t GetSupportedFeatures() const override { return FEATURE_PROTO3_OPTIONAL; }
};

}  // namespace svckit::gen
