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

/// The general case of write_escaped: runs of plain characters copied, the others escaped.
inline char* write_escaped_slow(char* out, const char* in, const char* const end) {
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

/// Writes `s` JSON-escaped, without quotes, at `out`, which has room for 6 * s.size() bytes (every
/// character escaped as \u00XX); returns the end of what was written. Text with nothing to escape — nearly
/// all of it — is checked and copied in one pass of 8-byte words, and short text in one or two
/// overlapping loads and stores, without a call to memcpy; anything else goes to write_escaped_slow,
/// which rewrites from `out`.
inline char* write_escaped(char* out, std::string_view s) {
  const char* p = s.data();
  const std::size_t n = s.size();
  if (n >= 8) {
    std::uint64_t w;
    for (std::size_t i = 0; i + 8 < n; i += 8) {
      std::memcpy(&w, p + i, 8);
      if (any_needs_escape(w)) return write_escaped_slow(out, p, p + n);
      std::memcpy(out + i, &w, 8);
    }
    std::memcpy(&w, p + n - 8, 8);  // the last word overlaps the one before it
    if (any_needs_escape(w)) return write_escaped_slow(out, p, p + n);
    std::memcpy(out + n - 8, &w, 8);
    return out + n;
  }
  if (n >= 4) {  // two 4-byte words, overlapping when n < 8
    std::uint32_t lo, hi;
    std::memcpy(&lo, p, 4);
    std::memcpy(&hi, p + n - 4, 4);
    if (any_needs_escape(lo | (static_cast<std::uint64_t>(hi) << 32))) return write_escaped_slow(out, p, p + n);
    std::memcpy(out, &lo, 4);
    std::memcpy(out + n - 4, &hi, 4);
    return out + n;
  }
  if (n > 0) {  // 1-3 bytes: the first, middle and last cover them all; the other bytes are spaces
    const auto a = static_cast<unsigned char>(p[0]), b = static_cast<unsigned char>(p[n / 2]),
               c = static_cast<unsigned char>(p[n - 1]);
    const std::uint64_t w = a | (std::uint64_t{b} << 8) | (std::uint64_t{c} << 16) | (0x2020202020ULL << 24);
    if (any_needs_escape(w)) return write_escaped_slow(out, p, p + n);
    out[0] = static_cast<char>(a);
    out[n / 2] = static_cast<char>(b);
    out[n - 1] = static_cast<char>(c);
  }
  return out + n;
}

}  // namespace svckit::json::detail
