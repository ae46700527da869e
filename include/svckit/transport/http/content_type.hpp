// svckit/transport/http/content_type.hpp — which body format a request uses and its reply should use.
//
// go-micro's "message encoding": an HTTP endpoint of protobuf messages reads and writes JSON or protobuf
// binary, chosen by Content-Type (the request body) and Accept (the reply).
//   Content-Type  JSON: none, application/json (any parameters), application/*+json, and the types curl and
//                 HTML forms send by default (application/x-www-form-urlencoded, text/plain), read as JSON as
//                 go-kit's JSON decoders do.  Protobuf: application/x-protobuf, application/protobuf,
//                 application/vnd.google.protobuf.  Anything else: 415 Unsupported Media Type.
//   Accept        the acceptable format with the highest q; on a tie (or none given, or */*) the request's
//                 format. Nothing acceptable: 406 Not Acceptable.
// Error bodies are always the JSON error body (json.hpp). Limits: media types are compared case-insensitively,
// at most 32 entries of an Accept header are read (the header itself is bounded by the server).
#pragma once

#include <optional>
#include <string_view>

namespace svckit::http {

enum class BodyFormat { Json, Protobuf };

inline constexpr std::string_view kProtobufContentType = "application/x-protobuf";

/// The format of a request body with this Content-Type; nullopt when unsupported (or protobuf when the
/// endpoint's messages are not protobuf: protobuf_ok false).
std::optional<BodyFormat> request_format(std::string_view content_type, bool protobuf_ok);

/// The reply format for this Accept header; nullopt when it accepts none of what the endpoint can send.
std::optional<BodyFormat> reply_format(std::string_view accept, BodyFormat request, bool protobuf_ok);

}  // namespace svckit::http
