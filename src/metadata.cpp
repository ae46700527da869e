#include "svckit/metadata.hpp"

namespace svckit {

namespace {
bool all_in(std::string_view s, unsigned char lo, unsigned char hi) {
  for (char c : s) {
    auto u = static_cast<unsigned char>(c);
    if (u < lo || u > hi) return false;
  }
  return true;
}
}  // namespace

bool valid_metadata_key(std::string_view key) {
  if (key.empty() || key.size() > kMaxMetadataKey) return false;
  for (char c : key)
    if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_' || c == '.')) return false;
  return true;
}

bool valid_metadata_value(std::string_view key, std::string_view value) {
  if (value.size() > kMaxMetadataValue) return false;
  return key.ends_with("-bin") || all_in(value, 0x20, 0x7e);
}

bool valid_request_id(std::string_view id) {
  return !id.empty() && id.size() <= kMaxRequestId && all_in(id, 0x21, 0x7e);
}

}  // namespace svckit
