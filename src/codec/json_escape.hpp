// Internal: JSON string escaping into a raw buffer, shared by json::append_escaped (logs, error bodies)
// and the Zipkin encoder (src/trace/zipkin.cpp), which write through a cursor into room sized up front.
#pragma once

#include <cstdint>
#include <cstring>
#include <string_view>

namespace svckit::json::detail {

/// True when one of the 8 bytes in `w` must be escaped: '"', '\\' or a control character (< 0x20).
/// Bytes >= 0x80 (UTF-8) never match. The usual SWAR zero-byte test: exact for "any byte", which is all
/// the caller asks.
inline bool any_needs_escape(std::uint64_t w) {
  constexpr std::uint64_t kOnes = 0x0101010101010101ULL, kHigh = 0x8080808080808080ULL;
  const std::uint64_t quote = w ^ (kOnes * '"'), backslash = w ^ (kOnes * '\\');
  const std::uint64_t below_space = (w - kOnes * 0x20) & ~w;
  return (((quote - kOnes) & ~quote) | ((backslash - kOnes) & ~backslash) | below_space) & kHigh;
}

/// True when some character of `s` must be escaped; checked 8 bytes at a time (the last word overlaps the
/// one before it), so the common case — nothing to escape — costs a few instructions per word.
inline bool needs_escape(std::string_view s) {
  const char* p = s.data();
  const std::size_t n = s.size();
  std::uint64_t w;
  if (n >= 8) {
    for (std::size_t i = 0; i + 8 < n; i += 8)
      if (std::memcpy(&w, p + i, 8), any_needs_escape(w)) return true;
    return std::memcpy(&w, p + n - 8, 8), any_needs_escape(w);
  }
  for (std::size_t i = 0; i < n; ++i)
    if (p[i] == '"' || p[i] == '\\' || static_cast<unsigned char>(p[i]) < 0x20) return true;
  return false;
}

/// Writes `s` JSON-escaped, without quotes, at `out`, which has room for 6 * s.size() bytes (every
/// character escaped as \u00XX); returns the end of what was written. Text with nothing to escape is
/// copied in one memcpy; otherwise runs of plain characters are.
inline char* write_escaped(char* out, std::string_view s) {
  if (!needs_escape(s)) {
    std::memcpy(out, s.data(), s.size());
    return out + s.size();
  }
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
