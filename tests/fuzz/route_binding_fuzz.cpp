// Fuzz target: a REST route's path parameter and query string bound to a protobuf request
// (svckit/transport/http/route_binding.hpp). The first line of the input is the {name} segment's raw
// value, the rest the query string. Bad bytes are INVALID_ARGUMENT, never a crash; what binds is called
// again through route_target and binds to an equal message.
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include <google/protobuf/util/message_differencer.h>

#include "fuzz.pb.h"
#include "svckit/transport/http/route_binding.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view in(reinterpret_cast<const char*>(data), size);
  const auto nl = in.find('\n');
  const std::string_view segment = in.substr(0, nl), query = nl == std::string_view::npos ? "" : in.substr(nl + 1);
  if (query.find_first_of(" \r\n") != std::string_view::npos) return 0;  // not a request target (Beast refuses it)
  svckit::http::Request r;
  r.msg.target("/x?" + std::string(query));
  r.params.emplace_back("text", std::string(segment));
  const svckit::http::RouteFields fields{{"text"}, true};
  fuzz::Everything msg;
  if (auto s = svckit::http::bind_route(r, fields, msg); !s.ok()) {
    if (s.code() != svckit::StatusCode::InvalidArgument) std::abort();
    return 0;
  }
  const std::string target = svckit::http::route_target("/x/{text}", fields, msg);
  svckit::http::Request again;
  again.msg.target(target);
  const auto slash = target.find('/', 1), q = target.find('?');
  again.params.emplace_back("text", target.substr(slash + 1, q == std::string::npos ? std::string::npos : q - slash - 1));
  fuzz::Everything back;
  if (!svckit::http::bind_route(again, fields, back).ok()) std::abort();
  for (auto* m : {&msg, &back}) {  // NaN equals nothing: compare the rest
    if (std::isnan(m->ratio())) m->set_ratio(0);
    if (std::isnan(m->small())) m->set_small(0);
  }
  google::protobuf::util::MessageDifferencer same;
  same.set_float_comparison(google::protobuf::util::MessageDifferencer::APPROXIMATE);
  if (!same.Compare(msg, back)) std::abort();
  return 0;
}
