#include "svckit/codec/proto_json.hpp"

#include <google/protobuf/util/json_util.h>

namespace svckit::json {

Status proto_from_json(std::string_view body, google::protobuf::Message& out) {
  if (body.empty()) return invalid_argument("request body is empty; expected a JSON object");
  google::protobuf::util::JsonParseOptions opts;
  opts.ignore_unknown_fields = false;
  auto st = google::protobuf::util::JsonStringToMessage(std::string(body), &out, opts);
  if (!st.ok()) return invalid_argument(std::string(st.message()));
  return {};
}

std::string proto_to_json(const google::protobuf::Message& m) {
  google::protobuf::util::JsonPrintOptions opts;
  opts.preserve_proto_field_names = true;
  opts.always_print_primitive_fields = true;
  std::string out;
  (void)google::protobuf::util::MessageToJsonString(m, &out, opts);
  return out;
}

}  // namespace svckit::json
