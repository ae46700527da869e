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

struct ProtoJsonOptions {
  bool int64_as_number = false;  // int64/uint64 fields as JSON numbers, not strings
};

/// Reads `body` (a JSON object) into `out`; INVALID_ARGUMENT naming the field for anything the mapping refuses.
Status proto_from_json(std::string_view body, google::protobuf::Message& out);
std::string proto_to_json(const google::protobuf::Message& m, const ProtoJsonOptions& options = {});

template <class T>
struct Codec<T, std::enable_if_t<std::is_base_of_v<google::protobuf::Message, T>>> {
  static Result<T> decode(std::string_view body) {
    T out;
    if (auto s = proto_from_json(body, out); !s.ok()) return s;
    return out;
  }
  static std::string encode(const T& v) { return proto_to_json(v); }
};

}  // namespace svckit::json
