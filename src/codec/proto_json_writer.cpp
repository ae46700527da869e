// proto_to_json: protobuf messages as proto3 JSON, by reflection, straight into a string. protobuf's own
// printer (util::MessageToJsonString) goes through binary serialisation and a type resolver: ~2 µs for a
// one-field message, several times this. Well-known types (Timestamp, Duration, Struct, wrappers, Any…)
// have JSON forms of their own: those sub-messages are handed to protobuf's printer.
#include <charconv>
#include <cmath>
#include <cstring>

#include <google/protobuf/descriptor.h>
#include <google/protobuf/util/json_util.h>

#include "base64.hpp"
#include "json_escape.hpp"
#include "svckit/codec/proto_json.hpp"

namespace svckit::json {

namespace {

namespace pb = google::protobuf;
using Field = pb::FieldDescriptor;

bool is_well_known(const pb::Descriptor* d) { return d->file()->name().starts_with("google/protobuf/"); }

void append_quoted(std::string& out, std::string_view s) {
  const auto at = out.size();
  out.resize(at + 2 + 6 * s.size());
  char* p = out.data() + at;
  *p++ = '"';
  p = detail::write_escaped(p, s);
  *p++ = '"';
  out.resize(static_cast<std::size_t>(p - out.data()));
}

template <class Int>
void append_int(std::string& out, Int v, bool quoted) {
  char buf[24];
  auto [end, ec] = std::to_chars(buf, buf + sizeof buf, v);
  if (quoted) out += '"';
  out.append(buf, end);
  if (quoted) out += '"';
}

template <class Float>
void append_float(std::string& out, Float v) {
  if (std::isnan(v)) {
    out += "\"NaN\"";
  } else if (std::isinf(v)) {
    out += v > 0 ? "\"Infinity\"" : "\"-Infinity\"";
  } else if (v == 0 && std::signbit(v)) {
    out += "-0.0";  // "-0" would read back as the integer 0, losing the sign
  } else {
    char buf[32];
    auto [end, ec] = std::to_chars(buf, buf + sizeof buf, v);  // shortest text that reads back the same
    out.append(buf, end);
  }
}

class Writer {
 public:
  Writer(std::string& out, const ProtoJsonOptions& o) : out_(out), o_(o) {}

  void message(const pb::Message& m) {
    const auto* d = m.GetDescriptor();
    if (is_well_known(d)) return well_known(m);
    const auto* r = m.GetReflection();
    out_ += '{';
    bool first = true;
    for (int i = 0; i < d->field_count(); ++i) {
      const Field* f = d->field(i);
      // Repeated and implicit-presence fields are always written (empty, zero); fields with presence
      // (messages, proto3 optional, oneof members) only when set.
      if (!f->is_repeated() && f->has_presence() && !r->HasField(m, f)) continue;
      if (!first) out_ += ',';
      first = false;
      append_quoted(out_, f->name());
      out_ += ':';
      if (f->is_map()) {
        map(m, f);
      } else if (f->is_repeated()) {
        out_ += '[';
        for (int j = 0, n = r->FieldSize(m, f); j < n; ++j) {
          if (j) out_ += ',';
          value(m, f, j);
        }
        out_ += ']';
      } else {
        value(m, f, -1);
      }
    }
    out_ += '}';
  }

 private:
  // One value of f: the singular field (index -1) or element `index` of a repeated one.
  void value(const pb::Message& m, const Field* f, int index) {
    const auto* r = m.GetReflection();
    const bool rep = index >= 0;
    const bool int64_quoted = !o_.int64_as_number;
    switch (f->cpp_type()) {
      case Field::CPPTYPE_INT32: return append_int(out_, rep ? r->GetRepeatedInt32(m, f, index) : r->GetInt32(m, f), false);
      case Field::CPPTYPE_UINT32: return append_int(out_, rep ? r->GetRepeatedUInt32(m, f, index) : r->GetUInt32(m, f), false);
      case Field::CPPTYPE_INT64:
        return append_int(out_, rep ? r->GetRepeatedInt64(m, f, index) : r->GetInt64(m, f), int64_quoted);
      case Field::CPPTYPE_UINT64:
        return append_int(out_, rep ? r->GetRepeatedUInt64(m, f, index) : r->GetUInt64(m, f), int64_quoted);
      case Field::CPPTYPE_DOUBLE: return append_float(out_, rep ? r->GetRepeatedDouble(m, f, index) : r->GetDouble(m, f));
      case Field::CPPTYPE_FLOAT: return append_float(out_, rep ? r->GetRepeatedFloat(m, f, index) : r->GetFloat(m, f));
      case Field::CPPTYPE_BOOL: out_ += (rep ? r->GetRepeatedBool(m, f, index) : r->GetBool(m, f)) ? "true" : "false"; return;
      case Field::CPPTYPE_ENUM: return enum_value(f, rep ? r->GetRepeatedEnumValue(m, f, index) : r->GetEnumValue(m, f));
      case Field::CPPTYPE_STRING: {
        std::string scratch;
        const std::string& s = rep ? r->GetRepeatedStringReference(m, f, index, &scratch) : r->GetStringReference(m, f, &scratch);
        if (f->type() == Field::TYPE_BYTES) return append_quoted(out_, codec::base64_encode(s, codec::Base64::Standard));
        return append_quoted(out_, s);
      }
      case Field::CPPTYPE_MESSAGE: return message(rep ? r->GetRepeatedMessage(m, f, index) : r->GetMessage(m, f));
    }
  }

  void enum_value(const Field* f, int number) {
    if (f->enum_type()->full_name() == "google.protobuf.NullValue") {
      out_ += "null";
    } else if (const auto* v = f->enum_type()->FindValueByNumber(number)) {
      append_quoted(out_, v->name());
    } else {
      append_int(out_, number, false);  // an open enum's unknown number
    }
  }

  // A map is a repeated entry message {key, value}; JSON keys are strings, whatever the key type.
  void map(const pb::Message& m, const Field* f) {
    const auto* r = m.GetReflection();
    const Field* key = f->message_type()->map_key();
    const Field* val = f->message_type()->map_value();
    out_ += '{';
    for (int j = 0, n = r->FieldSize(m, f); j < n; ++j) {
      if (j) out_ += ',';
      const pb::Message& entry = r->GetRepeatedMessage(m, f, j);
      const auto* er = entry.GetReflection();
      switch (key->cpp_type()) {
        case Field::CPPTYPE_STRING: append_quoted(out_, er->GetString(entry, key)); break;
        case Field::CPPTYPE_BOOL: out_ += er->GetBool(entry, key) ? "\"true\"" : "\"false\""; break;
        case Field::CPPTYPE_INT32: append_int(out_, er->GetInt32(entry, key), true); break;
        case Field::CPPTYPE_UINT32: append_int(out_, er->GetUInt32(entry, key), true); break;
        case Field::CPPTYPE_INT64: append_int(out_, er->GetInt64(entry, key), true); break;
        case Field::CPPTYPE_UINT64: append_int(out_, er->GetUInt64(entry, key), true); break;
        default: out_ += "\"\""; break;  // protobuf allows no other key types
      }
      out_ += ':';
      value(entry, val, -1);
    }
    out_ += '}';
  }

  void well_known(const pb::Message& m) {
    pb::util::JsonPrintOptions opts;
    opts.preserve_proto_field_names = true;
    opts.always_print_primitive_fields = true;
    std::string s;
    if (!pb::util::MessageToJsonString(m, &s, opts).ok()) s = "null";  // e.g. an Any of an unknown type
    out_ += s;
  }

  std::string& out_;
  const ProtoJsonOptions& o_;
};

}  // namespace

std::string proto_to_json(const google::protobuf::Message& m, const ProtoJsonOptions& options) {
  std::string out;
  out.reserve(64);
  Writer(out, options).message(m);
  return out;
}

}  // namespace svckit::json
