#include "health.hpp"

#include <vector>

namespace svckit::grpc::detail::health_wire {

std::optional<std::string> parse_request(const ::grpc::ByteBuffer& in) {
  std::vector<::grpc::Slice> slices;
  if (!in.Dump(&slices).ok()) return std::nullopt;
  std::string bytes;
  for (const auto& s : slices) bytes.append(reinterpret_cast<const char*>(s.begin()), s.size());
  return parse_request(std::string_view(bytes));
}

::grpc::ByteBuffer response(ServingStatus status) {
  const std::string bytes = response_bytes(status);
  ::grpc::Slice slice(bytes.data(), bytes.size());
  return ::grpc::ByteBuffer(&slice, 1);
}

}  // namespace svckit::grpc::detail::health_wire
