#include "url_query.hpp"

#include <cctype>
#include <charconv>
#include <cstdint>
#include <stdexcept>

namespace svckit::sd::detail {

void for_each_param(std::string_view q, const std::function<void(std::string_view, std::string_view)>& f) {
  while (!q.empty()) {
    auto amp = q.find('&');
    auto kv = q.substr(0, amp);
    q = amp == std::string_view::npos ? std::string_view() : q.substr(amp + 1);
    if (kv.empty()) continue;
    auto eq = kv.find('=');
    f(kv.substr(0, eq), eq == std::string_view::npos ? std::string_view() : kv.substr(eq + 1));
  }
}

std::chrono::milliseconds duration_param(std::string_view scheme, std::string_view key, std::string_view v,
                                         std::chrono::milliseconds least, std::chrono::milliseconds most) {
  std::int64_t n = 0;
  auto [end, ec] = std::from_chars(v.data(), v.data() + v.size(), n);
  std::string_view unit(end, static_cast<std::size_t>(v.data() + v.size() - end));
  const std::int64_t scale = unit == "ms" ? 1 : unit == "s" ? 1000 : unit == "m" ? 60'000 : 0;
  const bool fits = ec == std::errc() && scale != 0 && n >= 0 && n <= most.count() / scale;
  if (!fits || n * scale < least.count())
    throw std::invalid_argument(std::string(scheme) + ":// " + std::string(key) + " must be like 500ms, 30s or 1m, from " +
                                std::to_string(least.count()) + "ms to " + std::to_string(most.count() / 1000) + "s (not \"" +
                                std::string(v.substr(0, 32)) + "\")");
  return std::chrono::milliseconds(n * scale);
}

std::string percent_encode(std::string_view s) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  out.reserve(s.size());
  for (unsigned char c : s) {
    if (std::isalnum(c) || c == '-' || c == '.' || c == '_' || c == '~') {
      out += static_cast<char>(c);
    } else {
      out += '%';
      out += kHex[c >> 4];
      out += kHex[c & 15];
    }
  }
  return out;
}

std::string context_path(std::string_view scheme, std::string_view path, std::string fallback) {
  while (!path.empty() && path.back() == '/') path.remove_suffix(1);
  if (path.empty()) return fallback;
  if (path.find_first_of("?#% ") != std::string_view::npos)
    throw std::invalid_argument(std::string(scheme) + ":// path must be a plain path like " + fallback);
  return std::string(path);
}

void check_service_name(std::string_view scheme, std::string_view s) {
  bool ok = !s.empty() && s.size() <= 256;
  for (unsigned char c : s) ok = ok && (std::isalnum(c) || c == '-' || c == '_' || c == '.');
  if (!ok)
    throw std::invalid_argument("service name \"" + std::string(s.substr(0, 64)) + "\" is not one " + std::string(scheme) +
                                ":// can name (letters, digits, '-', '_', '.')");
}

bool tls_param(std::string_view scheme, std::string_view key, std::string_view value, TlsParams& out) {
  auto path = [&]() {
    if (value.empty() || value.find('%') != std::string_view::npos)
      throw std::invalid_argument(std::string(scheme) + ":// " + std::string(key) + " must be a file path (not percent-encoded)");
    return std::string(value);
  };
  if (key == "tls") {
    if (value != "1" && value != "true" && value != "0" && value != "false")
      throw std::invalid_argument(std::string(scheme) + ":// tls must be 1 or 0");
    out.on = value == "1" || value == "true";
  } else if (key == "ca") {
    out.config.ca_file = path();
    out.on = true;
  } else if (key == "cert") {
    out.config.cert_file = path();
  } else if (key == "key") {
    out.config.key_file = path();
  } else if (key == "server_name") {
    out.config.server_name = path();
  } else {
    return false;
  }
  return true;
}

std::shared_ptr<const tls::Credentials> load_tls(std::string_view scheme, const TlsParams& params) {
  const auto& c = params.config;
  if (!params.on) {
    if (!c.cert_file.empty() || !c.key_file.empty() || !c.server_name.empty())
      throw std::invalid_argument(std::string(scheme) + ":// cert, key and server_name need tls=1 or ca=…");
    return nullptr;
  }
  if (c.cert_file.empty() != c.key_file.empty())
    throw std::invalid_argument(std::string(scheme) + ":// cert and key come together");
  return tls::load_client(c);
}

}  // namespace svckit::sd::detail
