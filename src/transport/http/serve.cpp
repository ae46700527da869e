#include "svckit/transport/http/serve.hpp"

namespace svckit::http::detail {

namespace {
Response media_error(unsigned status, const char* what, bool protobuf) {
  const std::string accepted = protobuf ? "application/json or application/x-protobuf" : "application/json";
  return json_response(status, json::error_body(invalid_argument(std::string(what) + "; this route takes " + accepted)));
}
}  // namespace

Response unsupported_media_type(bool protobuf) { return media_error(415, "unsupported Content-Type", protobuf); }

Response not_acceptable(bool protobuf) { return media_error(406, "Accept names no format this route sends", protobuf); }

Response body_response(unsigned status, BodyFormat format, std::string body) {
  if (format == BodyFormat::Json) return json_response(status, std::move(body));
  Response res{static_cast<beast_http::status>(status), 11};
  res.set(beast_http::field::content_type, kProtobufContentType);
  res.body() = std::move(body);
  res.prepare_payload();
  return res;
}

}  // namespace svckit::http::detail
