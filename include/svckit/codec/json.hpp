// svckit/codec/json.hpp — JSON bodies to and from C++ types, with errors that name the field.
//
// A plain struct becomes JSON-capable with two free functions next to it (found by ADL):
//
//   struct CreateUser { std::string email; };
//   void from_json(svckit::json::ObjectReader& r, CreateUser& v) { r.required("email", v.email); }
//   void to_json(boost::json::object& o, const CreateUser& v) { o["email"] = v.email; }
//
// Decoding is strict, because a typo in a field name should be an error rather than a silently ignored
// value: malformed JSON, a body that is not an object, a missing required field, a value of the wrong type
// and an unknown field each give INVALID_ARGUMENT with a message naming the problem and the field.
// Protobuf messages get the same interface from svckit/codec/proto_json.hpp.
#pragma once

#include <cstdint>
#include <limits>
#include <optional>
#include <string>
#include <string_view>
#include <type_traits>
#include <vector>

#include <boost/container/small_vector.hpp>
#include <boost/json/object.hpp>
#include <boost/json/value.hpp>

#include "svckit/result.hpp"

namespace svckit::json {

/// Parses text into a JSON object; INVALID_ARGUMENT for malformed JSON or a non-object.
Result<boost::json::object> parse_object(std::string_view text);
std::string serialize(const boost::json::object& o);
/// Appends `s` to `out` as the content of a JSON string (escaped; no surrounding quotes), for code that
/// writes JSON by hand on a hot path (log lines, span batches).
void append_escaped(std::string& out, std::string_view s);

class ObjectReader {
 public:
  explicit ObjectReader(const boost::json::object& o) : obj_(o) {}

  /// Reads key into out; records an error if it is missing or of the wrong type.
  template <class T>
  void required(std::string_view key, T& out) {
    read(key, out, true);
  }
  /// Reads key into out if present (and not null); out keeps its value otherwise. With a std::optional<T>
  /// out, presence is visible to the caller (PATCH-style partial updates).
  template <class T>
  void optional(std::string_view key, T& out) {
    read(key, out, false);
  }
  /// Records a validation error of the caller's own (the first error wins).
  void fail(std::string message) {
    if (error_.ok()) error_ = invalid_argument(std::move(message));
  }
  /// The first error, or INVALID_ARGUMENT for a field the type does not know; OK otherwise.
  Status finish() const;

 private:
  template <class T>
  void read(std::string_view key, T& out, bool required) {
    known_.push_back(key);
    const boost::json::value* v = obj_.if_contains(key);
    if (!v || v->is_null()) {
      if (required) fail("field \"" + std::string(key) + "\" is required");
      return;
    }
    if constexpr (is_optional<T>::value) {
      typename T::value_type inner{};
      if (!convert(*v, inner)) fail("field \"" + std::string(key) + "\" must be " + type_name<typename T::value_type>());
      else out = std::move(inner);
    } else {
      if (!convert(*v, out)) fail("field \"" + std::string(key) + "\" must be " + type_name<T>());
    }
  }

  template <class T>
  struct is_optional : std::false_type {};
  template <class T>
  struct is_optional<std::optional<T>> : std::true_type {};

  template <class T>
  static bool convert(const boost::json::value& v, T& out) {
    if constexpr (std::is_same_v<T, std::string>) {
      if (!v.is_string()) return false;
      out.assign(v.get_string().data(), v.get_string().size());
      return true;
    } else if constexpr (std::is_same_v<T, bool>) {
      if (!v.is_bool()) return false;
      out = v.get_bool();
      return true;
    } else if constexpr (std::is_integral_v<T>) {
      std::int64_t i;
      if (v.is_int64()) i = v.get_int64();
      else if (v.is_uint64() && v.get_uint64() <= static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max()))
        i = static_cast<std::int64_t>(v.get_uint64());
      else return false;
      if constexpr (std::is_signed_v<T>) {
        if (i < static_cast<std::int64_t>(std::numeric_limits<T>::min()) ||
            i > static_cast<std::int64_t>(std::numeric_limits<T>::max()))
          return false;
      } else {
        if (i < 0 || static_cast<std::uint64_t>(i) > static_cast<std::uint64_t>(std::numeric_limits<T>::max()))
          return false;
      }
      out = static_cast<T>(i);
      return true;
    } else if constexpr (std::is_floating_point_v<T>) {
      if (!v.is_number()) return false;
      out = static_cast<T>(v.to_number<double>());
      return true;
    } else if constexpr (std::is_same_v<T, std::vector<std::string>>) {
      if (!v.is_array()) return false;
      out.clear();
      for (const auto& e : v.get_array()) {
        if (!e.is_string()) return false;
        out.emplace_back(e.get_string().data(), e.get_string().size());
      }
      return true;
    } else if constexpr (std::is_same_v<T, boost::json::value>) {
      out = v;
      return true;
    } else {
      static_assert(sizeof(T) == 0, "ObjectReader: unsupported field type");
    }
  }

  template <class T>
  static std::string type_name() {
    if constexpr (std::is_same_v<T, std::string>) return "a string";
    else if constexpr (std::is_same_v<T, bool>) return "a boolean";
    else if constexpr (std::is_integral_v<T>) return "an integer in range";
    else if constexpr (std::is_floating_point_v<T>) return "a number";
    else if constexpr (std::is_same_v<T, std::vector<std::string>>) return "an array of strings";
    else return "a JSON value";
  }

  const boost::json::object& obj_;
  boost::container::small_vector<std::string_view, 8> known_;  // no allocation for typical request types
  Status error_;
};

/// How protobuf messages are written as JSON (svckit/codec/proto_json.hpp; here so that transports can pass
/// it along without including protobuf).
struct ProtoJsonOptions {
  bool int64_as_number = false;  // int64/uint64 fields as JSON numbers, not the proto3 mapping's strings
};

/// How a type travels as JSON. The primary template uses from_json/to_json found by ADL; svckit provides a
/// specialisation for protobuf messages (svckit/codec/proto_json.hpp).
template <class T, class = void>
struct Codec {
  static Result<T> decode(std::string_view body) {
    auto obj = parse_object(body);
    if (!obj.ok()) return obj.status();
    T out{};
    ObjectReader reader(*obj);
    from_json(reader, out);
    if (auto s = reader.finish(); !s.ok()) return s;
    return out;
  }
  static std::string encode(const T& v) {
    boost::json::object o;
    to_json(o, v);
    return svckit::json::serialize(o);
  }
};

/// {"error":{"code":"INVALID_ARGUMENT","message":"..."}} — the error body every svckit HTTP server sends.
std::string error_body(const Status& s);
/// Reads an error body back into a Status; nullopt if the text is not one.
std::optional<Status> parse_error_body(std::string_view text);

}  // namespace svckit::json
