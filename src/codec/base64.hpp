// Internal: base64 (RFC 4648) for JWT's base64url and the proto3 JSON mapping of bytes fields.
#pragma once

#include <string>
#include <string_view>

namespace svckit::codec {

enum class Base64 {
  Standard,  // '+' '/', padded with '=' (proto3 JSON writes bytes this way)
  Url,       // '-' '_', no padding (JWT)
};

std::string base64_encode(std::string_view in, Base64 alphabet);

/// Decodes `in` into `out`; false for a character outside the alphabet, misplaced padding or a length no
/// encoding has. Url takes only its own alphabet, unpadded (JWT is strict); Standard also takes the URL
/// alphabet and missing padding, as proto3 JSON parsers must.
bool base64_decode(std::string_view in, std::string& out, Base64 alphabet);

}  // namespace svckit::codec
