// One HTTP/2 header for nghttp2's submit functions (client and server connections of the own gRPC wire).
// nghttp2 copies name and value when the frame is submitted, so they need only live until that call returns.
#pragma once

#include <nghttp2/nghttp2.h>

#include <string_view>

namespace svckit::grpc::wire {

inline nghttp2_nv header(std::string_view name, std::string_view value) {
  return {reinterpret_cast<uint8_t*>(const_cast<char*>(name.data())), reinterpret_cast<uint8_t*>(const_cast<char*>(value.data())),
          name.size(), value.size(), NGHTTP2_NV_FLAG_NONE};
}

}  // namespace svckit::grpc::wire
