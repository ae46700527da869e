#include "routes.hpp"

#include <google/protobuf/descriptor.h>

#include "names.hpp"
#include "svckit/api/http.pb.h"

namespace svckit::gen {

namespace {

namespace pb = google::protobuf;
using Field = pb::FieldDescriptor;

bool valid_literal(const std::string& seg) {
  if (seg.empty()) return false;
  for (char c : seg)
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '-' && c != '.' && c != '_' && c != '~') return false;
  return true;
}

// Checks one rule and turns it into a Route; "" on success, else what is wrong.
std::string to_route(const api::HttpRule& rule, const pb::Descriptor* request, Route& out) {
  switch (rule.pattern_case()) {
    case api::HttpRule::kGet: out.verb = "get", out.path = rule.get(); break;
    case api::HttpRule::kPut: out.verb = "put", out.path = rule.put(); break;
    case api::HttpRule::kPost: out.verb = "post", out.path = rule.post(); break;
    case api::HttpRule::kDelete: out.verb = "delete_", out.path = rule.delete_(); break;
    case api::HttpRule::kPatch: out.verb = "patch", out.path = rule.patch(); break;
    default: return "a route needs a verb and a path (get, put, post, delete or patch)";
  }
  out.declared = true;
  if (rule.body() != "" && rule.body() != "*") return "body must be \"*\" or absent, not \"" + rule.body() + "\"";
  out.body = rule.body() == "*";
  if (out.body && (out.verb == "get" || out.verb == "delete_")) return "GET and DELETE routes take no body";
  out.success_status = rule.success_status() ? rule.success_status() : 200;
  if (out.success_status < 200 || out.success_status > 299) return "success_status must be 2xx";
  if (out.path.empty() || out.path[0] != '/') return "the path \"" + out.path + "\" must start with /";
  for (std::size_t i = 1; i <= out.path.size();) {  // each segment: a literal or {field}
    auto end = out.path.find('/', i);
    if (end == std::string::npos) end = out.path.size();
    const std::string seg = out.path.substr(i, end - i);
    if (seg.size() > 2 && seg.front() == '{' && seg.back() == '}') {
      const std::string name = seg.substr(1, seg.size() - 2);
      const Field* f = request->FindFieldByName(name);
      if (!f) return "{" + name + "} names no field of " + request->full_name();
      if (f->is_repeated() || f->cpp_type() == Field::CPPTYPE_MESSAGE) return "{" + name + "} must be a singular scalar field";
      for (const auto& seen : out.path_fields)
        if (seen == name) return "{" + name + "} appears twice";
      out.path_fields.push_back(name);
    } else if (!(seg.empty() && end == out.path.size() && out.path.size() == 1) && !valid_literal(seg)) {
      return "path segment \"" + seg + "\" must be a literal ([A-Za-z0-9._~-]) or {field}";
    }
    i = end + 1;
  }
  if (!out.body)
    for (int i = 0; i < request->field_count(); ++i) {
      const Field* f = request->field(i);
      if ((f->is_map() || f->cpp_type() == Field::CPPTYPE_MESSAGE))
        return "field " + f->name() + " (a message or map) cannot travel in a query string: give the route a body";
    }
  return "";
}

}  // namespace

std::vector<Route> http_routes(const pb::MethodDescriptor* method, std::string* error) {
  if (!method->options().HasExtension(api::http))
    return {Route{.verb = "post", .path = "/" + kebab_case(method->name())}};
  const auto& top = method->options().GetExtension(api::http);
  std::vector<const api::HttpRule*> rules{&top};
  for (const auto& more : top.additional_bindings()) rules.push_back(&more);
  std::vector<Route> routes;
  for (const auto* rule : rules) {
    if (rule != &top && rule->additional_bindings_size() > 0) {
      *error = method->full_name() + ": additional_bindings do not nest";
      return {};
    }
    Route r;
    if (auto why = to_route(*rule, method->input_type(), r); !why.empty()) {
      *error = method->full_name() + ": " + why;
      return {};
    }
    routes.push_back(std::move(r));
  }
  return routes;
}

bool int64_as_number(const pb::ServiceDescriptor* service) {
  return service->options().GetExtension(api::json).int64_as_number();
}

}  // namespace svckit::gen
