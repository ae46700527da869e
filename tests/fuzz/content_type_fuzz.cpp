// Fuzz target: the Content-Type and Accept headers of a request (anyone can send any bytes in them), as
// serve() reads them to choose the body formats. Bad input is a refusal (nullopt), never a crash, and a
// route without protobuf is never answered in protobuf.
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "svckit/transport/http/content_type.hpp"

using svckit::http::BodyFormat;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view in(reinterpret_cast<const char*>(data), size);
  auto nl = in.find('\n');
  auto content_type = in.substr(0, nl);
  auto accept = nl == std::string_view::npos ? std::string_view() : in.substr(nl + 1);
  for (bool proto : {false, true}) {
    auto req = svckit::http::request_format(content_type, proto);
    if (!proto && req == BodyFormat::Protobuf) std::abort();
    auto rep = svckit::http::reply_format(accept, req.value_or(BodyFormat::Json), proto);
    if (!proto && rep == BodyFormat::Protobuf) std::abort();
  }
  return 0;
}
