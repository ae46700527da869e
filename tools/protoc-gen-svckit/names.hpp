// protoc-gen-svckit — how .proto names become C++ and HTTP names in the generated bindings.
#pragma once

#include <string>
#include <string_view>

namespace google::protobuf {
class Descriptor;
class ServiceDescriptor;
}  // namespace google::protobuf

namespace svckit::gen {

/// "SendEmail" → "send_email", "GetHTTPStatus" → "get_http_status".
std::string snake_case(std::string_view name);
/// "SendEmail" → "send-email" (the default HTTP route: POST /send-email).
std::string kebab_case(std::string_view name);
/// A C++ identifier for a generated name: keywords get a trailing underscore ("delete" → "delete_").
std::string identifier(std::string name);
/// "a.b.c" → "a::b::c" ("" stays "").
std::string cpp_namespace(std::string_view package);
/// The generated C++ class of a message, fully qualified: "::pb::Outer_Inner".
std::string message_class(const google::protobuf::Descriptor* message);
/// The namespace of a service's bindings: <package>::<snake service name>, or just <package> when the
/// package is already named after the service (package greeter; service Greeter → greeter::).
std::string service_namespace(const google::protobuf::ServiceDescriptor* service);
/// The name instances register under and clients look up: the service name in snake_case.
std::string registry_name(const google::protobuf::ServiceDescriptor* service);

}  // namespace svckit::gen
