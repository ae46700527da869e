// Fuzz target: JSON bodies decoded into protobuf messages (every route of a service defined in a .proto,
// e.g. notificator's SendEmail over HTTP). Bad JSON is INVALID_ARGUMENT, never a crash; what decodes
// encodes and decodes again to an equal message.
#include <cstdint>
#include <cstdlib>
#include <string_view>

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
  fuzz::Everything again;
  if (!svckit::json::proto_from_json(svckit::json::proto_to_json(msg), again).ok()) std::abort();
  google::protobuf::util::MessageDifferencer same;
  same.set_float_comparison(google::protobuf::util::MessageDifferencer::APPROXIMATE);  // NaN-free; float text
  if (!same.Compare(msg, again)) std::abort();
  return 0;
}
