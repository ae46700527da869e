#include "svckit/codec/json.hpp"

#include <algorithm>

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include "json_escape.hpp"

namespace svckit::json {

Result<boost::json::object> parse_object(std::string_view text) {
  if (text.empty()) return invalid_argument("request body is empty; expected a JSON object");
  boost::system::error_code ec;
  boost::json::value v = boost::json::parse(text, ec);
  if (ec) return invalid_argument("malformed JSON: " + ec.message());
  if (!v.is_object()) return invalid_argument("expected a JSON object");
  return std::move(v.get_object());
}

std::string serialize(const boost::json::object& o) { return boost::json::serialize(o); }

void append_escaped(std::string& out, std::string_view s) {
  const std::size_t old = out.size();
  out.resize(old + 6 * s.size());  // the most escaping can take
  char* end = detail::write_escaped(out.data() + old, s);
  out.resize(static_cast<std::size_t>(end - out.data()));
}

Status ObjectReader::finish() const {
  if (!error_.ok()) return error_;
  for (const auto& kv : obj_) {
    if (std::find(known_.begin(), known_.end(), std::string_view(kv.key())) == known_.end())
      return invalid_argument("unknown field \"" + std::string(kv.key()) + "\"");
  }
  return {};
}

std::string error_body(const Status& s) {
  boost::json::object err;
  err["code"] = to_string(s.code());
  err["message"] = s.message();
  boost::json::object o;
  o["error"] = std::move(err);
  return boost::json::serialize(o);
}

std::optional<Status> parse_error_body(std::string_view text) {
  boost::system::error_code ec;
  boost::json::value v = boost::json::parse(text, ec);
  if (ec || !v.is_object()) return std::nullopt;
  const auto* err = v.get_object().if_contains("error");
  if (!err || !err->is_object()) return std::nullopt;
  const auto* code = err->get_object().if_contains("code");
  const auto* msg = err->get_object().if_contains("message");
  if (!code || !code->is_string()) return std::nullopt;
  auto c = status_code_from_string(std::string_view(code->get_string()));
  if (!c || *c == StatusCode::Ok) return std::nullopt;
  return Status(*c, msg && msg->is_string() ? std::string(msg->get_string()) : std::string());
}

}  // namespace svckit::json
