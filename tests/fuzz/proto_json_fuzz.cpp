// Fuzz target: JSON bodies decoded into protobuf messages (every route of a service defined in a .proto,
// e.g. notificator's SendEmail over HTTP). Bad JSON is INVALID_ARGUMENT, never a crash; what decodes
// encodes and decodes again to an equal message, and protobuf's own parser reads svckit's output (both
// directions are svckit's code: src/codec/proto_json_{reader,writer}.cpp) to an equal message too.
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include <google/protobuf/util/json_util.h>
#include <google/protobuf/util/message_differencer.h>

#include "fuzz.pb.h"
#include "svckit/codec/proto_json.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view in(reinterpret_cast<const char*>(data), size);
  fuzz::Everything msg;
  auto s = svckit::json::proto_from_json(in, msg);
  if (!s.ok()) {
    if (s.code() != svckit::StatusCode::InvalidArgument) std::abort();
    return 0;
  }
  const std::string json = svckit::json::proto_to_json(msg);
  fuzz::Everything again, theirs;
  if (!svckit::json::proto_from_json(json, again).ok()) std::abort();
  if (!google::protobuf::util::JsonStringToMessage(json, &theirs).ok()) std::abort();
  google::protobuf::util::MessageDifferencer same;
  same.set_float_comparison(google::protobuf::util::MessageDifferencer::APPROXIMATE);  // float text
  for (auto* m : {&msg, &again, &theirs}) {  // NaN equals nothing: compare the rest
    if (std::isnan(m->ratio())) m->set_ratio(0);
    if (std::isnan(m->small())) m->set_small(0);
  }
  if (!same.Compare(msg, again) || !same.Compare(msg, theirs)) std::abort();
  return 0;
}
