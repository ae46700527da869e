#include "svckit/transport/http/message.hpp"

#include <algorithm>

#include "svckit/codec/json.hpp"

namespace svckit::http {

std::string_view Request::path() const {
  std::string_view t(msg.target().data(), msg.target().size());
  return t.substr(0, t.find('?'));
}

std::optional<std::string> url_decode(std::string_view s, bool plus_is_space) {
  auto hex = [](char c) -> int {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
  };
  std::string out;
  out.reserve(s.size());
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '+' && plus_is_space) {
      out += ' ';
    } else if (s[i] == '%') {
      if (i + 2 >= s.size()) return std::nullopt;
      int hi = hex(s[i + 1]), lo = hex(s[i + 2]);
      if (hi < 0 || lo < 0) return std::nullopt;
      out += static_cast<char>(hi * 16 + lo);
      i += 2;
    } else {
      out += s[i];
    }
  }
  return out;
}

std::string_view Request::query(std::string_view name) const {
  std::string_view t(msg.target().data(), msg.target().size());
  auto q = t.find('?');
  if (q == std::string_view::npos) return {};
  std::string_view rest = t.substr(q + 1);
  while (!rest.empty()) {
    auto amp = rest.find('&');
    std::string_view pair = rest.substr(0, amp);
    auto eq = pair.find('=');
    if (pair.substr(0, eq) == name) return eq == std::string_view::npos ? std::string_view() : pair.substr(eq + 1);
    if (amp == std::string_view::npos) break;
    rest = rest.substr(amp + 1);
  }
  return {};
}

Response json_response(unsigned status, std::string body) {
  Response res{static_cast<beast_http::status>(status), 11};
  res.set(beast_http::field::content_type, "application/json");
  res.body() = std::move(body);
  return res;
}

Response error_response(const Status& s) {
  auto res = json_response(static_cast<unsigned>(http_status_of(s.code())), json::error_body(s));
  if (auto after = s.retry_after()) {
    const auto secs = std::max<std::int64_t>(1, (after->count() + 999) / 1000);  // whole seconds, rounded up
    res.set(beast_http::field::retry_after, std::to_string(secs));
  }
  return res;
}

}  // namespace svckit::http
