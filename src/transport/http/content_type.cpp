#include "svckit/transport/http/content_type.hpp"

#include <algorithm>
#include <array>
#include <cctype>
#include <charconv>
#include <string>

namespace svckit::http {

namespace {

// Not Beast's iequals: Boost 1.81's reads one byte past its first argument when the strings differ only in
// case near the end (content_type_fuzz found it, on a type cut from the end of the Accept header).
bool iequals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i)
    if (std::tolower(static_cast<unsigned char>(a[i])) != std::tolower(static_cast<unsigned char>(b[i]))) return false;
  return true;
}

constexpr std::size_t kMaxAcceptEntries = 32;

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

bool iends_with(std::string_view s, std::string_view suffix) {
  return s.size() >= suffix.size() && iequals(s.substr(s.size() - suffix.size()), suffix);
}

/// "type/subtype" of a media type, without its parameters.
std::string_view essence(std::string_view media) { return trim(media.substr(0, media.find(';'))); }

/// The format a media type names. `lenient`: also the types curl and HTML forms send by default with a JSON
/// body (request bodies only; a reply is never sent as them).
std::optional<BodyFormat> format_of(std::string_view type, bool lenient) {
  constexpr std::array defaults{"application/x-www-form-urlencoded", "text/plain"};
  constexpr std::array proto{"application/x-protobuf", "application/protobuf", "application/vnd.google.protobuf"};
  if (iequals(type, "application/json")) return BodyFormat::Json;
  // application/<something>+json (RFC 6839 structured syntax suffix)
  if (type.size() > 17 && iequals(type.substr(0, 12), "application/") && iends_with(type, "+json")) return BodyFormat::Json;
  if (lenient)
    for (auto t : defaults)
      if (iequals(type, t)) return BodyFormat::Json;
  for (auto t : proto)
    if (iequals(type, t)) return BodyFormat::Protobuf;
  return std::nullopt;
}

/// The q parameter of one Accept entry (1 when absent; 0 for a malformed one, so it counts as refused).
double quality(std::string_view entry) {
  for (auto semi = entry.find(';'); semi != std::string_view::npos; semi = entry.find(';', semi + 1)) {
    auto param = trim(entry.substr(semi + 1, entry.find(';', semi + 1) - semi - 1));
    if (param.size() < 2 || std::tolower(static_cast<unsigned char>(param[0])) != 'q' || param[1] != '=') continue;
    auto v = param.substr(2);
    double q = 0;
    // from_chars for double: digits, '.', at most "1.000" (RFC 9110 qvalue)
    if (v.empty() || v.size() > 5) return 0;
    auto [end, ec] = std::from_chars(v.data(), v.data() + v.size(), q);
    if (ec != std::errc() || end != v.data() + v.size() || q < 0 || q > 1) return 0;
    return q;
  }
  return 1;
}

}  // namespace

std::optional<BodyFormat> request_format(std::string_view content_type, bool protobuf_ok) {
  auto type = essence(content_type);
  if (type.empty()) return BodyFormat::Json;
  auto f = format_of(type, true);
  if (f == BodyFormat::Protobuf && !protobuf_ok) return std::nullopt;
  return f;
}

std::optional<BodyFormat> reply_format(std::string_view accept, BodyFormat request, bool protobuf_ok) {
  if (trim(accept).empty()) return request == BodyFormat::Protobuf && protobuf_ok ? BodyFormat::Protobuf : BodyFormat::Json;
  // The best q each kind of entry gives (-1: no entry of that kind). A specific type outranks
  // application/*, which outranks */* (RFC 9110 §12.5.1), so "application/json;q=0, */*" refuses JSON.
  double json = -1, proto = -1, app = -1, any = -1;
  for (std::size_t entries = 0; !accept.empty() && entries < kMaxAcceptEntries; ++entries) {
    auto comma = accept.find(',');
    auto entry = accept.substr(0, comma);
    accept = comma == std::string_view::npos ? std::string_view() : accept.substr(comma + 1);
    auto type = essence(entry);
    const double q = quality(entry);
    if (type == "*/*") {
      any = std::max(any, q);
    } else if (iequals(type, "application/*")) {
      app = std::max(app, q);
    } else if (auto f = format_of(type, false)) {
      double& slot = *f == BodyFormat::Json ? json : proto;
      slot = std::max(slot, q);
    }
  }
  auto effective = [&](double specific) { return specific >= 0 ? specific : app >= 0 ? app : any >= 0 ? any : 0.0; };
  const double q_json = effective(json);
  const double q_proto = protobuf_ok ? effective(proto) : 0.0;
  if (q_json <= 0 && q_proto <= 0) return std::nullopt;
  if (q_json == q_proto) return request == BodyFormat::Protobuf && protobuf_ok ? BodyFormat::Protobuf : BodyFormat::Json;
  return q_json > q_proto ? BodyFormat::Json : BodyFormat::Protobuf;
}

}  // namespace svckit::http
