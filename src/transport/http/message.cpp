#include "svckit/transport/http/message.hpp"

#include "svckit/codec/json.hpp"

namespace svckit::http {

std::string_view Request::path() const {
  std::string_view t(msg.target().data(), msg.target().size());
  return t.substr(0, t.find('?'));
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
  return json_response(static_cast<unsigned>(http_status_of(s.code())), json::error_body(s));
}

}  // namespace svckit::http
