// protoc-gen-svckit — the HTTP routes of an rpc: from its (svckit.api.http) option (svckit/api/http.proto),
// else POST /<kebab-case name> with a body.
#pragma once

#include <string>
#include <vector>

namespace google::protobuf {
class MethodDescriptor;
class ServiceDescriptor;
}  // namespace google::protobuf

namespace svckit::gen {

struct Route {
  std::string verb;                      // the svckit::http::Verb enumerator: get, put, post, delete_, patch
  std::string path;                      // "/users/{id}"
  bool body = true;                      // false: the fields not in the path come from the query string
  unsigned success_status = 200;
  std::vector<std::string> path_fields;  // "id"
  bool declared = false;                 // from the option (false: the default route)
};

/// The routes of `method`, checked against its request message: every {field} names a singular scalar
/// field, once; a body is "*" or absent, and GET and DELETE have none; a route without a body names no
/// message or map field; a success status is 2xx. Sets *error (naming the rpc) and returns {} otherwise.
std::vector<Route> http_routes(const google::protobuf::MethodDescriptor* method, std::string* error);

/// (svckit.api.json).int64_as_number of the service.
bool int64_as_number(const google::protobuf::ServiceDescriptor* service);

}  // namespace svckit::gen
