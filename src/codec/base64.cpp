#include "base64.hpp"

#include <array>

namespace svckit::codec {

namespace {

constexpr char kStandard[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
constexpr char kUrl[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

// Byte → 6-bit value, or -1.
constexpr std::array<signed char, 256> decode_table(bool standard, bool url) {
  std::array<signed char, 256> t{};
  for (auto& v : t) v = -1;
  for (int i = 0; i < 62; ++i) t[static_cast<unsigned char>(kStandard[i])] = static_cast<signed char>(i);
  if (standard) t['+'] = 62, t['/'] = 63;
  if (url) t['-'] = 62, t['_'] = 63;
  return t;
}
constexpr auto kUrlOnly = decode_table(false, true);
constexpr auto kEither = decode_table(true, true);

}  // namespace

std::string base64_encode(std::string_view in, Base64 alphabet) {
  const char* a = alphabet == Base64::Url ? kUrl : kStandard;
  std::string out;
  out.reserve((in.size() + 2) / 3 * 4);
  std::size_t i = 0;
  for (; i + 2 < in.size(); i += 3) {
    const unsigned v = (static_cast<unsigned char>(in[i]) << 16) | (static_cast<unsigned char>(in[i + 1]) << 8) |
                       static_cast<unsigned char>(in[i + 2]);
    for (int s = 18; s >= 0; s -= 6) out += a[(v >> s) & 63];
  }
  if (i < in.size()) {
    unsigned v = static_cast<unsigned char>(in[i]) << 16;
    if (i + 1 < in.size()) v |= static_cast<unsigned char>(in[i + 1]) << 8;
    out += a[(v >> 18) & 63];
    out += a[(v >> 12) & 63];
    if (i + 1 < in.size()) out += a[(v >> 6) & 63];
    if (alphabet == Base64::Standard) out.append(i + 1 < in.size() ? 1 : 2, '=');
  }
  return out;
}

bool base64_decode(std::string_view in, std::string& out, Base64 alphabet) {
  out.clear();
  if (alphabet == Base64::Standard) {  // padding: only at the end, only to a multiple of 4
    std::size_t pad = 0;
    while (pad < 2 && pad < in.size() && in[in.size() - 1 - pad] == '=') ++pad;
    if (pad && in.size() % 4 != 0) return false;
    in.remove_suffix(pad);
  }
  const auto& table = alphabet == Base64::Url ? kUrlOnly : kEither;
  out.reserve(in.size() * 3 / 4);
  unsigned v = 0;
  int bits = 0;
  for (char c : in) {
    const int d = table[static_cast<unsigned char>(c)];
    if (d < 0) return false;
    v = (v << 6) | static_cast<unsigned>(d);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out += static_cast<char>((v >> bits) & 0xff);
    }
  }
  return bits < 6;  // a lone trailing character cannot encode a byte
}

}  // namespace svckit::codec
