// proto_from_json: proto3 JSON into a protobuf message, by reflection over a parsed boost::json value
// (protobuf's own parser costs ~3 µs for a one-field message, several times this). Strict as the mapping
// allows: unknown fields, wrong types, out-of-range numbers, unknown enum names and two members of one oneof
// are INVALID_ARGUMENT naming the field. Accepted as the mapping requires: proto and lowerCamel names, numbers
// or strings for integers, "NaN"/"Infinity" for floats, enum names or numbers, standard or URL base64, null
// for "default". Two cases go to protobuf's parser instead, for the whole body: well-known types (Timestamp,
// Duration, Struct, wrappers, Any… have JSON forms of their own) and floating-point fields written as JSON
// numbers with a fraction or exponent (Boost.JSON 1.81 may read those 1 ulp off; protobuf's strtod is exact).
#include <charconv>
#include <cmath>
#include <limits>

#include <boost/json/monotonic_resource.hpp>
#include <boost/json/parse.hpp>
#include <google/protobuf/descriptor.h>
#include <google/protobuf/util/json_util.h>

#include "base64.hpp"
#include "svckit/codec/proto_json.hpp"

namespace svckit::json {

namespace {

namespace pb = google::protobuf;
namespace bj = boost::json;
using Field = pb::FieldDescriptor;

bool is_well_known(const pb::Descriptor* d) { return d->file()->name().starts_with("google/protobuf/"); }

// Well-formed UTF-8 (no overlongs, surrogates or code points past U+10FFFF): what proto3 string fields must
// hold, since a peer parsing the binary form refuses anything else. (JSON bodies are checked by Boost.JSON.)
bool valid_utf8(std::string_view s) {
  for (std::size_t i = 0; i < s.size();) {
    const auto c = static_cast<unsigned char>(s[i]);
    if (c < 0x80) {
      ++i;
      continue;
    }
    std::size_t n = 0;  // continuation bytes
    std::uint32_t cp = 0;
    if (c >= 0xc2 && c <= 0xdf) {
      n = 1, cp = c & 0x1f;
    } else if (c >= 0xe0 && c <= 0xef) {
      n = 2, cp = c & 0x0f;
    } else if (c >= 0xf0 && c <= 0xf4) {
      n = 3, cp = c & 0x07;
    } else {
      return false;
    }
    if (s.size() - i <= n) return false;
    for (std::size_t k = 1; k <= n; ++k) {
      const auto cc = static_cast<unsigned char>(s[i + k]);
      if ((cc & 0xc0) != 0x80) return false;
      cp = (cp << 6) | (cc & 0x3f);
    }
    if ((n == 2 && cp < 0x800) || (n == 3 && (cp < 0x10000 || cp > 0x10ffff)) || (cp >= 0xd800 && cp <= 0xdfff)) return false;
    i += n + 1;
  }
  return true;
}

const Field* find_field(const pb::Descriptor* d, std::string_view key) {
  if (const auto* f = d->FindFieldByName(std::string(key))) return f;
  for (int i = 0; i < d->field_count(); ++i)
    if (d->field(i)->json_name() == key) return d->field(i);
  return nullptr;
}

class Reader {
 public:
  /// One value of f from text (a REST route's path segment or query value): see proto_set_field_text.
  Status field_text(pb::Message& m, const Field* f, std::string_view text) {
    if (f->is_map() || f->cpp_type() == Field::CPPTYPE_MESSAGE) return fail(f->name(), "cannot be set from a path or query string");
    bj::value v;
    if (f->cpp_type() == Field::CPPTYPE_BOOL) {
      if (text != "true" && text != "false") return fail(f->name(), "expected true or false");
      v = text == "true";
    } else if (std::int64_t n = 0; f->cpp_type() == Field::CPPTYPE_ENUM &&
                                   std::from_chars(text.data(), text.data() + text.size(), n).ptr == text.data() + text.size() &&
                                   !text.empty()) {
      v = n;  // an enum by number
    } else {
      if (f->type() == Field::TYPE_STRING && !valid_utf8(text)) return fail(f->name(), "not valid UTF-8");
      v = bj::string_view(text.data(), text.size());  // numbers, enums and bytes are read from strings too
    }
    if (const auto* o = f->real_containing_oneof(); o && m.GetReflection()->HasOneof(m, o) &&
                                                     m.GetReflection()->GetOneofFieldDescriptor(m, o) != f)
      return fail(f->name(), "another member of oneof " + o->name() + " is set already");
    auto s = set(v, m, f, f->is_repeated());
    if (s.ok() && needs_protobuf_) return fail(f->name(), "unsupported field type");  // not reached: no messages
    return s;
  }

  /// Set when the body needs protobuf's parser (see the top of this file); the read stops there.
  bool needs_protobuf() const { return needs_protobuf_; }

  Status message(const bj::value& v, pb::Message& m) {
    const auto* d = m.GetDescriptor();
    if (is_well_known(d)) {
      needs_protobuf_ = true;
      return {};
    }
    if (!v.is_object()) return fail(d->full_name(), "expected a JSON object");
    std::vector<const pb::OneofDescriptor*> oneofs_set;
    for (const auto& [key, value] : v.as_object()) {
      const Field* f = find_field(d, key);
      if (!f) return invalid_argument("unknown field \"" + std::string(key.substr(0, 64)) + "\" in " + d->full_name());
      if (value.is_null() && !(f->cpp_type() == Field::CPPTYPE_MESSAGE && f->message_type()->full_name() == "google.protobuf.Value"))
        continue;  // null: the field keeps its default
      if (const auto* o = f->real_containing_oneof()) {
        for (const auto* seen : oneofs_set)
          if (seen == o) return fail(f->name(), "another member of oneof " + o->name() + " is set already");
        oneofs_set.push_back(o);
      }
      Status s = f->is_map() ? map(value, m, f) : f->is_repeated() ? repeated(value, m, f) : singular(value, m, f);
      if (!s.ok() || needs_protobuf_) return s;
    }
    return {};
  }

 private:
  static Status fail(const std::string& field, const std::string& why) {
    return invalid_argument("field \"" + field.substr(0, 64) + "\": " + why);
  }

  Status repeated(const bj::value& v, pb::Message& m, const Field* f) {
    if (!v.is_array()) return fail(f->name(), "expected a JSON array");
    for (const auto& e : v.as_array()) {
      if (e.is_null()) return fail(f->name(), "null is not an element");
      if (auto s = set(e, m, f, true); !s.ok() || needs_protobuf_) return s;
    }
    return {};
  }

  Status singular(const bj::value& v, pb::Message& m, const Field* f) { return set(v, m, f, false); }

  Status map(const bj::value& v, pb::Message& m, const Field* f) {
    if (!v.is_object()) return fail(f->name(), "expected a JSON object (a map)");
    const Field* key = f->message_type()->map_key();
    const Field* val = f->message_type()->map_value();
    const auto* r = m.GetReflection();
    for (const auto& [k, value] : v.as_object()) {
      pb::Message* entry = r->AddMessage(&m, f);
      if (auto s = set(bj::value(bj::string_view(k)), *entry, key, false, /*map_key=*/true); !s.ok()) return s;
      if (value.is_null()) return fail(f->name(), "null is not a map value");
      if (auto s = set(value, *entry, val, false); !s.ok() || needs_protobuf_) return s;
    }
    return {};
  }

  // Sets singular field f of m (or appends to it: add) from v.
  Status set(const bj::value& v, pb::Message& m, const Field* f, bool add, bool map_key = false) {
    const auto* r = m.GetReflection();
    switch (f->cpp_type()) {
      case Field::CPPTYPE_INT32: {
        auto x = integer<std::int32_t>(v, f);
        if (!x.ok()) return x.status();
        add ? r->AddInt32(&m, f, *x) : r->SetInt32(&m, f, *x);
        return {};
      }
      case Field::CPPTYPE_UINT32: {
        auto x = integer<std::uint32_t>(v, f);
        if (!x.ok()) return x.status();
        add ? r->AddUInt32(&m, f, *x) : r->SetUInt32(&m, f, *x);
        return {};
      }
      case Field::CPPTYPE_INT64: {
        auto x = integer<std::int64_t>(v, f);
        if (!x.ok()) return x.status();
        add ? r->AddInt64(&m, f, *x) : r->SetInt64(&m, f, *x);
        return {};
      }
      case Field::CPPTYPE_UINT64: {
        auto x = integer<std::uint64_t>(v, f);
        if (!x.ok()) return x.status();
        add ? r->AddUInt64(&m, f, *x) : r->SetUInt64(&m, f, *x);
        return {};
      }
      case Field::CPPTYPE_DOUBLE: {
        auto x = floating(v, f, false);
        if (!x.ok()) return x.status();
        add ? r->AddDouble(&m, f, *x) : r->SetDouble(&m, f, *x);
        return {};
      }
      case Field::CPPTYPE_FLOAT: {
        auto x = floating(v, f, true);
        if (!x.ok()) return x.status();
        add ? r->AddFloat(&m, f, static_cast<float>(*x)) : r->SetFloat(&m, f, static_cast<float>(*x));
        return {};
      }
      case Field::CPPTYPE_BOOL: {
        bool b = false;
        if (v.is_bool()) {
          b = v.get_bool();
        } else if (map_key && v.is_string() && (v.get_string() == "true" || v.get_string() == "false")) {
          b = v.get_string() == "true";
        } else {
          return fail(f->name(), "expected true or false");
        }
        add ? r->AddBool(&m, f, b) : r->SetBool(&m, f, b);
        return {};
      }
      case Field::CPPTYPE_ENUM: {
        auto x = enum_number(v, f);
        if (!x.ok()) return x.status();
        add ? r->AddEnumValue(&m, f, *x) : r->SetEnumValue(&m, f, *x);
        return {};
      }
      case Field::CPPTYPE_STRING: {
        if (!v.is_string()) return fail(f->name(), "expected a string");
        std::string s(v.get_string());
        if (f->type() == Field::TYPE_BYTES) {
          std::string raw;
          if (!codec::base64_decode(s, raw, codec::Base64::Standard)) return fail(f->name(), "not base64");
          s = std::move(raw);
        }
        add ? r->AddString(&m, f, std::move(s)) : r->SetString(&m, f, std::move(s));
        return {};
      }
      case Field::CPPTYPE_MESSAGE: {
        pb::Message* sub = add ? r->AddMessage(&m, f) : r->MutableMessage(&m, f);
        return message(v, *sub);
      }
    }
    return fail(f->name(), "unsupported field type");
  }

  // An integer from a JSON number (integral, in range) or a string holding one (as 64-bit values are written).
  template <class Int>
  Result<Int> integer(const bj::value& v, const Field* f) {
    constexpr auto lo = std::numeric_limits<Int>::min();
    constexpr auto hi = std::numeric_limits<Int>::max();
    const std::string range = "out of range for " + std::string(f->cpp_type_name());
    if (v.is_int64()) {
      const std::int64_t x = v.get_int64();
      if constexpr (std::is_signed_v<Int>) {
        if (x < lo || x > hi) return fail(f->name(), range);
      } else {
        if (x < 0 || static_cast<std::uint64_t>(x) > hi) return fail(f->name(), range);
      }
      return static_cast<Int>(x);
    }
    if (v.is_uint64()) {
      if (v.get_uint64() > static_cast<std::uint64_t>(hi)) return fail(f->name(), range);
      return static_cast<Int>(v.get_uint64());
    }
    if (v.is_double()) {  // 1e3, 5.0: integral values written as floats
      const double d = v.get_double();
      if (d != std::floor(d) || !(d >= static_cast<double>(lo) && d < static_cast<double>(hi) + 1.0))
        return fail(f->name(), "not an integer in range for " + std::string(f->cpp_type_name()));
      return static_cast<Int>(d);
    }
    if (v.is_string()) {
      const auto& s = v.get_string();
      Int x{};
      auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), x);
      if (ec == std::errc::result_out_of_range) return fail(f->name(), range);
      if (ec != std::errc() || p != s.data() + s.size() || s.empty()) return fail(f->name(), "not an integer");
      return x;
    }
    return fail(f->name(), "expected an integer");
  }

  Result<double> floating(const bj::value& v, const Field* f, bool is_float) {
    double d = 0;
    if (v.is_double()) {
      needs_protobuf_ = true;  // may be 1 ulp off: protobuf reads the body again
      return 0.0;
    }
    if (v.is_number()) {
      d = v.to_number<double>();  // an integer: converted exactly rounded
    } else if (v.is_string()) {
      const auto& s = v.get_string();
      if (s == "NaN") return std::numeric_limits<double>::quiet_NaN();
      if (s == "Infinity") return std::numeric_limits<double>::infinity();
      if (s == "-Infinity") return -std::numeric_limits<double>::infinity();
      auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), d);
      if (ec != std::errc() || p != s.data() + s.size() || s.empty()) return fail(f->name(), "not a number");
    } else {
      return fail(f->name(), "expected a number");
    }
    if (std::isinf(d) || (is_float && std::fabs(d) > std::numeric_limits<float>::max()))
      return fail(f->name(), "out of range");
    return d;
  }

  static Result<int> enum_number(const bj::value& v, const Field* f) {
    const auto* e = f->enum_type();
    if (v.is_string()) {
      if (const auto* ev = e->FindValueByName(std::string(v.get_string()))) return ev->number();
      return fail(f->name(), "unknown value \"" + std::string(v.get_string().subview().substr(0, 64)) + "\" of " + e->full_name());
    }
    if (v.is_int64() && v.get_int64() >= std::numeric_limits<int>::min() && v.get_int64() <= std::numeric_limits<int>::max()) {
      const int n = static_cast<int>(v.get_int64());
      if (e->FindValueByNumber(n) || e->file()->syntax() == pb::FileDescriptor::SYNTAX_PROTO3) return n;  // open enums
    }
    return fail(f->name(), "expected a name of " + e->full_name());
  }

  bool needs_protobuf_ = false;
};

Status protobuf_parse(std::string_view body, pb::Message& out) {
  out.Clear();
  pb::util::JsonParseOptions opts;
  opts.ignore_unknown_fields = false;
  auto st = pb::util::JsonStringToMessage(std::string(body), &out, opts);
  if (!st.ok()) return invalid_argument(std::string(st.message()));
  return {};
}

}  // namespace

Status proto_set_field_text(google::protobuf::Message& out, std::string_view name, std::string_view text) {
  const Field* f = find_field(out.GetDescriptor(), name);
  if (!f) return invalid_argument("unknown field \"" + std::string(name.substr(0, 64)) + "\" in " + out.GetDescriptor()->full_name());
  return Reader().field_text(out, f, text);
}

Status proto_from_json(std::string_view body, google::protobuf::Message& out) {
  if (body.empty()) return invalid_argument("request body is empty; expected a JSON object");
  boost::system::error_code ec;
  // A request body is small and read once: its parsed form lives in a buffer on the stack (bigger bodies
  // spill to the heap), which saves an allocation per JSON object, array and long string.
  unsigned char scratch[2048];
  bj::monotonic_resource arena(scratch, sizeof scratch);
  bj::value v = bj::parse(body, ec, &arena);
  if (ec) return invalid_argument("malformed JSON: " + ec.message());
  if (!v.is_object()) return invalid_argument("expected a JSON object");
  Reader reader;
  auto s = reader.message(v, out);
  if (s.ok() && reader.needs_protobuf()) return protobuf_parse(body, out);
  return s;
}

}  // namespace svckit::json
