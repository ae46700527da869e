#include "svckit/transport/http/route_binding.hpp"

#include <charconv>
#include <cmath>

#include <google/protobuf/descriptor.h>
#include <google/protobuf/message.h>

#include "../../codec/base64.hpp"
#include "svckit/codec/proto_json.hpp"

namespace svckit::http {

namespace {

namespace pb = google::protobuf;
using Field = pb::FieldDescriptor;

constexpr int kMaxQueryParameters = 64;

bool is_path_field(const RouteFields& f, std::string_view name) {
  for (const auto& p : f.path)
    if (p == name) return true;
  return false;
}

std::string cut(std::string_view s) { return std::string(s.substr(0, 64)); }

template <class Number>
std::string number_text(Number v) {
  if constexpr (std::is_floating_point_v<Number>) {
    if (std::isnan(v)) return "NaN";
    if (std::isinf(v)) return v > 0 ? "Infinity" : "-Infinity";
  }
  char buf[32];
  auto [end, ec] = std::to_chars(buf, buf + sizeof buf, v);
  return std::string(buf, end);
}

// One value of f (element `index` of a repeated field, -1 for a singular one) as route text.
std::string field_text(const pb::Message& m, const Field* f, int index) {
  const auto* r = m.GetReflection();
  const bool rep = index >= 0;
  switch (f->cpp_type()) {
    case Field::CPPTYPE_INT32: return number_text(rep ? r->GetRepeatedInt32(m, f, index) : r->GetInt32(m, f));
    case Field::CPPTYPE_UINT32: return number_text(rep ? r->GetRepeatedUInt32(m, f, index) : r->GetUInt32(m, f));
    case Field::CPPTYPE_INT64: return number_text(rep ? r->GetRepeatedInt64(m, f, index) : r->GetInt64(m, f));
    case Field::CPPTYPE_UINT64: return number_text(rep ? r->GetRepeatedUInt64(m, f, index) : r->GetUInt64(m, f));
    case Field::CPPTYPE_DOUBLE: return number_text(rep ? r->GetRepeatedDouble(m, f, index) : r->GetDouble(m, f));
    case Field::CPPTYPE_FLOAT: return number_text(rep ? r->GetRepeatedFloat(m, f, index) : r->GetFloat(m, f));
    case Field::CPPTYPE_BOOL: return (rep ? r->GetRepeatedBool(m, f, index) : r->GetBool(m, f)) ? "true" : "false";
    case Field::CPPTYPE_ENUM: {
      const int n = rep ? r->GetRepeatedEnumValue(m, f, index) : r->GetEnumValue(m, f);
      const auto* v = f->enum_type()->FindValueByNumber(n);
      return v ? v->name() : number_text(n);  // an open enum's unknown number
    }
    case Field::CPPTYPE_STRING: {
      std::string s = rep ? r->GetRepeatedString(m, f, index) : r->GetString(m, f);
      return f->type() == Field::TYPE_BYTES ? codec::base64_encode(s, codec::Base64::Standard) : s;
    }
    case Field::CPPTYPE_MESSAGE: return {};  // protoc-gen-svckit refuses message fields in paths and queries
  }
  return {};
}

void append_escaped(std::string& out, std::string_view s) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  for (char c : s) {
    const auto u = static_cast<unsigned char>(c);
    if ((u >= 'a' && u <= 'z') || (u >= 'A' && u <= 'Z') || (u >= '0' && u <= '9') || u == '-' || u == '.' || u == '_' || u == '~') {
      out += c;
    } else {
      out += '%';
      out += kHex[u >> 4];
      out += kHex[u & 15];
    }
  }
}

}  // namespace

Status bind_route(const Request& r, const RouteFields& fields, google::protobuf::Message& out) {
  for (const auto& name : fields.path) {
    auto text = url_decode(r.param(name), /*plus_is_space=*/false);
    if (!text) return invalid_argument("path parameter \"" + name + "\": malformed %-escape");
    if (auto s = json::proto_set_field_text(out, name, *text); !s.ok()) return s;
  }
  if (!fields.query) return {};
  std::string_view target(r.msg.target().data(), r.msg.target().size());
  const auto q = target.find('?');
  if (q == std::string_view::npos) return {};
  std::string_view rest = target.substr(q + 1);
  for (int n = 0; !rest.empty(); ++n) {
    if (n == kMaxQueryParameters) return invalid_argument("more than " + std::to_string(kMaxQueryParameters) + " query parameters");
    const auto amp = rest.find('&');
    const std::string_view pair = rest.substr(0, amp);
    rest = amp == std::string_view::npos ? std::string_view() : rest.substr(amp + 1);
    if (pair.empty()) continue;
    const auto eq = pair.find('=');
    auto key = url_decode(pair.substr(0, eq));
    auto value = url_decode(eq == std::string_view::npos ? std::string_view() : pair.substr(eq + 1));
    if (!key || !value) return invalid_argument("malformed %-escape in the query string");
    if (is_path_field(fields, *key)) return invalid_argument("query parameter \"" + cut(*key) + "\" is set by the path");
    if (auto s = json::proto_set_field_text(out, *key, *value); !s.ok()) return s;
  }
  return {};
}

std::string route_target(std::string_view pattern, const RouteFields& fields, const google::protobuf::Message& req) {
  const auto* d = req.GetDescriptor();
  std::string out;
  for (std::size_t i = 0; i < pattern.size();) {
    const auto open = pattern.find('{', i);
    out.append(pattern.substr(i, open - i));
    if (open == std::string_view::npos) break;
    const auto close = pattern.find('}', open);
    const std::string name(pattern.substr(open + 1, close - open - 1));
    if (const auto* f = d->FindFieldByName(name)) append_escaped(out, field_text(req, f, -1));
    i = close == std::string_view::npos ? pattern.size() : close + 1;
  }
  if (!fields.query) return out;
  const auto* r = req.GetReflection();
  char sep = '?';
  for (int i = 0; i < d->field_count(); ++i) {
    const Field* f = d->field(i);
    if (is_path_field(fields, f->name()) || f->is_map() || f->cpp_type() == Field::CPPTYPE_MESSAGE) continue;
    const int n = f->is_repeated() ? r->FieldSize(req, f) : (r->HasField(req, f) ? 1 : 0);
    for (int j = 0; j < n; ++j) {
      out += sep;
      sep = '&';
      append_escaped(out, f->name());
      out += '=';
      append_escaped(out, field_text(req, f, f->is_repeated() ? j : -1));
    }
  }
  return out;
}

}  // namespace svckit::http
