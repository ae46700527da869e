#include "svckit/trace/span_context.hpp"

#include <array>
#include <bit>
#include <cstring>
#include <random>

namespace svckit::trace {

namespace {

// Lower-case hex only: the spec forbids upper case, and accepting it would fork one trace id into two.
// kHexValue maps a character to its digit value, or to 0xff for anything else.
constexpr auto kHexValue = [] {
  std::array<std::uint8_t, 256> t{};
  t.fill(0xff);
  for (int c = '0'; c <= '9'; ++c) t[c] = static_cast<std::uint8_t>(c - '0');
  for (int c = 'a'; c <= 'f'; ++c) t[c] = static_cast<std::uint8_t>(c - 'a' + 10);
  return t;
}();

bool parse_hex(std::string_view s, std::uint64_t& out) {
  std::uint64_t v = 0;
  std::uint8_t bad = 0;  // one check at the end instead of a branch per character
  for (char c : s) {
    const std::uint8_t d = kHexValue[static_cast<unsigned char>(c)];
    bad |= d;
    v = (v << 4) | (d & 0xf);
  }
  out = v;
  return (bad & 0xf0) == 0;
}

// Eight hex digits of a 32-bit value in eight bytes, most significant digit first in memory: the nibbles
// are spread one per byte, turned into '0'..'9' / 'a'..'f' all at once, then byte-swapped (x86 and ARM
// are little-endian). ~15 instructions instead of a table lookup and store per digit.
static_assert(std::endian::native == std::endian::little, "write_hex32 assumes a little-endian machine");

void write_hex32(std::uint32_t x, char* out) {
  std::uint64_t v = x;
  v = (v | (v << 16)) & 0x0000ffff0000ffffULL;
  v = (v | (v << 8)) & 0x00ff00ff00ff00ffULL;
  v = (v | (v << 4)) & 0x0f0f0f0f0f0f0f0fULL;  // byte i holds nibble i
  const std::uint64_t letters = ((v + 0x0606060606060606ULL) >> 4) & 0x0101010101010101ULL;  // nibble > 9
  v += 0x3030303030303030ULL + letters * ('a' - '0' - 10);
  v = __builtin_bswap64(v);
  std::memcpy(out, &v, 8);
}

void write_hex(std::uint64_t v, char* out) {
  write_hex32(static_cast<std::uint32_t>(v >> 32), out);
  write_hex32(static_cast<std::uint32_t>(v), out + 8);
}

// splitmix64 over a per-thread state seeded from the OS: fast, no lock, full 64-bit period.
std::uint64_t next_random() {
  thread_local std::uint64_t state = [] {
    std::random_device rd;
    return (static_cast<std::uint64_t>(rd()) << 32) ^ rd();
  }();
  std::uint64_t z = (state += 0x9e3779b97f4a7c15ULL);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

}  // namespace

std::optional<SpanContext> parse_traceparent(std::string_view v) {
  // version "-" trace-id "-" parent-id "-" flags: 2 + 1 + 32 + 1 + 16 + 1 + 2 = 55 characters.
  constexpr std::size_t kLen = 55;
  if (v.size() < kLen) return std::nullopt;
  std::uint64_t version = 0;
  if (!parse_hex(v.substr(0, 2), version) || version == 0xff) return std::nullopt;
  // Version 00 is exactly 55 characters; a later version may append fields after another '-'.
  if (version == 0 ? v.size() != kLen : (v.size() > kLen && v[kLen] != '-')) return std::nullopt;
  if (v[2] != '-' || v[35] != '-' || v[52] != '-') return std::nullopt;
  SpanContext sc;
  std::uint64_t flags = 0;
  if (!parse_hex(v.substr(3, 16), sc.trace_hi) || !parse_hex(v.substr(19, 16), sc.trace_lo) ||
      !parse_hex(v.substr(36, 16), sc.span_id) || !parse_hex(v.substr(53, 2), flags))
    return std::nullopt;
  if (!sc.valid()) return std::nullopt;  // all-zero trace id or parent id
  sc.sampled = (flags & 1) != 0;
  return sc;
}

std::string format_traceparent(const SpanContext& sc) {
  std::string s = "00-";
  s.resize(55);
  write_trace_id_hex(sc, s.data() + 3);
  s[35] = '-';
  write_span_id_hex(sc.span_id, s.data() + 36);
  s[52] = '-';
  s[53] = '0';
  s[54] = sc.sampled ? '1' : '0';
  return s;
}

void write_trace_id_hex(const SpanContext& sc, char out[32]) {
  write_hex(sc.trace_hi, out);
  write_hex(sc.trace_lo, out + 16);
}

void write_span_id_hex(std::uint64_t id, char out[16]) { write_hex(id, out); }

std::string trace_id_hex(const SpanContext& sc) {
  std::string s(32, '0');
  write_trace_id_hex(sc, s.data());
  return s;
}

std::string span_id_hex(std::uint64_t id) {
  std::string s(16, '0');
  write_hex(id, s.data());
  return s;
}

std::uint64_t new_span_id() {
  for (;;)
    if (auto id = next_random()) return id;
}

SpanContext new_trace(bool sampled) {
  SpanContext sc;
  sc.trace_hi = next_random();
  sc.trace_lo = new_span_id();
  sc.span_id = new_span_id();
  sc.sampled = sampled;
  return sc;
}

}  // namespace svckit::trace
