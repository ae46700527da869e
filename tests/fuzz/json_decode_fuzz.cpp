// Fuzz target: the JSON request decoder of hand-written types (svckit::json::Codec with ObjectReader), and
// the error-body parser clients use on every non-2xx answer. Bad JSON is INVALID_ARGUMENT, never a crash;
// what decodes encodes again.
#include <cstdint>
#include <cstdlib>
#include <optional>
#include <string>
#include <vector>

#include "svckit/codec/json.hpp"

namespace {
struct Request {
  std::string email;
  std::int32_t small = 0;
  std::uint16_t port = 0;
  std::int64_t big = 0;
  double ratio = 0;
  std::optional<bool> flag;
  std::optional<std::string> note;
  std::vector<std::string> tags;
  boost::json::value extra;
};
void from_json(svckit::json::ObjectReader& r, Request& q) {
  r.required("email", q.email);
  r.optional("small", q.small);
  r.optional("port", q.port);
  r.optional("big", q.big);
  r.optional("ratio", q.ratio);
  r.optional("flag", q.flag);
  r.optional("note", q.note);
  r.optional("tags", q.tags);
  r.optional("extra", q.extra);
  if (q.email.find('@') == std::string::npos) r.fail("email must contain @");
}
void to_json(boost::json::object& o, const Request& q) {
  o["email"] = q.email;
  o["small"] = q.small;
  o["port"] = q.port;
  o["big"] = q.big;
  o["ratio"] = q.ratio;
  if (q.flag) o["flag"] = *q.flag;
  if (q.note) o["note"] = *q.note;
  boost::json::array tags;
  for (const auto& t : q.tags) tags.emplace_back(t);
  o["tags"] = std::move(tags);
  o["extra"] = q.extra;
}
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view in(reinterpret_cast<const char*>(data), size);
  using Codec = svckit::json::Codec<Request>;
  auto r = Codec::decode(in);
  if (r.ok()) {
    auto again = Codec::decode(Codec::encode(*r));
    if (!again.ok() || again->email != r->email || again->tags != r->tags || again->big != r->big) std::abort();
  } else if (r.status().code() != svckit::StatusCode::InvalidArgument) {
    std::abort();
  }
  (void)svckit::json::parse_error_body(in);
  return 0;
}
