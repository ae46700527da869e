#include "health_status.hpp"

#include <google/protobuf/io/coded_stream.h>
#include <google/protobuf/wire_format_lite.h>

namespace svckit::grpc::detail {

namespace health_wire {

namespace pbio = google::protobuf::io;
using google::protobuf::internal::WireFormatLite;

std::optional<std::string> parse_request(std::string_view bytes) {
  pbio::CodedInputStream stream(reinterpret_cast<const std::uint8_t*>(bytes.data()), static_cast<int>(bytes.size()));
  std::string service;
  while (const auto tag = stream.ReadTag()) {
    if (WireFormatLite::GetTagFieldNumber(tag) == 1 &&
        WireFormatLite::GetTagWireType(tag) == WireFormatLite::WIRETYPE_LENGTH_DELIMITED) {
      if (!WireFormatLite::ReadString(&stream, &service)) return std::nullopt;
    } else if (!WireFormatLite::SkipField(&stream, tag)) {  // unknown fields are allowed, as in proto3
      return std::nullopt;
    }
  }
  if (!stream.ConsumedEntireMessage()) return std::nullopt;
  return service;
}

std::string response_bytes(ServingStatus status) {
  return std::string{0x08, static_cast<char>(status)};  // field 1, varint; every status is < 128
}

}  // namespace health_wire

void HealthStatus::declare(const std::string& name) {
  std::lock_guard lock(mu_);
  serving_.emplace(name, false);
}

void HealthStatus::set_all(bool serving) {
  std::lock_guard lock(mu_);
  for (auto& [_, s] : serving_) s = serving;
}

health_wire::ServingStatus HealthStatus::get(const std::string& name) const {
  std::lock_guard lock(mu_);
  auto it = serving_.find(name);
  if (it == serving_.end()) return health_wire::kServiceUnknown;
  return it->second ? health_wire::kServing : health_wire::kNotServing;
}

}  // namespace svckit::grpc::detail
