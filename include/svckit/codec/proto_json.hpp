// svckit/codec/proto_json.hpp — protobuf messages as JSON bodies (proto3 JSON mapping).
//
// Include this where a protobuf message is served or called over HTTP/JSON: the same endpoints then serve
// gRPC and HTTP. Field names are the .proto names (snake_case); lowerCamelCase is accepted on input, as the
// proto3 JSON mapping requires. Unknown fields are rejected with INVALID_ARGUMENT. Fields without presence
// are written even when zero or empty; 64-bit integers are strings unless ProtoJsonOptions says numbers
// (what a hand-written JSON API usually sends; exact in JavaScript only up to 2^53). Both directions work by
// reflection (src/codec/proto_json_{reader,writer}.cpp), well-known types through protobuf's own mapping.
#pragma once

#include <concepts>
#include <string>
#include <string_view>

#include <google/protobuf/message.h>

#include "svckit/codec/json.hpp"

namespace svckit::json {

/// Reads `body` (a JSON object) into `out`; INVALID_ARGUMENT naming the field for anything the mapping refuses.
Status proto_from_json(std::string_view body, google::protobuf::Message& out);
std::string proto_to_json(const google::protobuf::Message& m, const ProtoJsonOptions& options = {});

/// Sets the field called `name` (its .proto or lowerCamel name) of `out` from text — a path segment or a
/// query value of a REST route: strings as they are, numbers in decimal, bool as true/false, enums by name or
/// number, bytes as base64; a repeated field gets one more element. INVALID_ARGUMENT naming the field for
/// an unknown one, a message or map field, or text its type refuses.
Status proto_set_field_text(google::protobuf::Message& out, std::string_view name, std::string_view text);

template <class T>
struct Codec<T, std::enable_if_t<std::is_base_of_v<google::protobuf::Message, T>>> {
  static Result<T> decode(std::string_view body) {
    T out;
    if (auto s = proto_from_json(body, out); !s.ok()) return s;
    return out;
  }
  static std::string encode(const T& v) { return proto_to_json(v); }
  static std::string encode(const T& v, const ProtoJsonOptions& o) { return proto_to_json(v, o); }
};

}  // namespace svckit::json
