// Internal: JSON string escaping into a raw buffer, shared by json::append_escaped (logs, error bodies)
// and the Zipkin encoder (src/trace/zipkin.cpp), which write through a cursor into room sized up front.
#pragma once

#include <cstring>
#include <string_view>

namespace svckit::json::detail {

/// Writes `s` JSON-escaped, without quotes, at `out`, which has room for 6 * s.size() bytes (every
/// character escaped as \u00XX); returns the end of what was written. Runs of plain characters are copied
/// in one memcpy each.
inline char* write_escaped(char* out, std::string_view s) {
  const char* in = s.data();
  const char* const end = in + s.size();
  while (in != end) {
    const char* run = in;
    while (in != end && *in != '"' && *in != '\\' && static_cast<unsigned char>(*in) >= 0x20) ++in;
    std::memcpy(out, run, static_cast<std::size_t>(in - run));
    out += in - run;
    if (in == end) break;
    const auto c = static_cast<unsigned char>(*in++);
    *out++ = '\\';
    switch (c) {
      case '"': *out++ = '"'; break;
      case '\\': *out++ = '\\'; break;
      case '\n': *out++ = 'n'; break;
      case '\r': *out++ = 'r'; break;
      case '\t': *out++ = 't'; break;
      default:
        static constexpr char kHex[] = "0123456789abcdef";
        *out++ = 'u';
        *out++ = '0';
        *out++ = '0';
        *out++ = kHex[c >> 4];
        *out++ = kHex[c & 0xf];
    }
  }
  return out;
}

}  // namespace svckit::json::detail
