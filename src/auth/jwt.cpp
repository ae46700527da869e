#include "svckit/auth/jwt.hpp"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <cstdlib>
#include <cstring>
#include <stdexcept>

#include <boost/json.hpp>

#include "../codec/base64.hpp"

namespace svckit::auth {

namespace json = boost::json;

namespace {

std::string b64url(std::string_view in) { return codec::base64_encode(in, codec::Base64::Url); }

bool unb64url(std::string_view in, std::string& out) { return codec::base64_decode(in, out, codec::Base64::Url); }

std::string hmac(const std::string& key, std::string_view data) {
  unsigned char mac[EVP_MAX_MD_SIZE];
  unsigned len = 0;
  HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()), reinterpret_cast<const unsigned char*>(data.data()),
       data.size(), mac, &len);
  return std::string(reinterpret_cast<char*>(mac), len);
}

Status unauthenticated(std::string why) { return {StatusCode::Unauthenticated, "invalid token: " + std::move(why)}; }

}  // namespace

Hs256::Hs256(std::string secret) : secret_(std::move(secret)) {
  if (secret_.size() < 32)
    throw std::invalid_argument("JWT secret must be at least 32 bytes (got " + std::to_string(secret_.size()) + ")");
}

std::string Hs256::sign(const Claims& c) const {
  // In seconds: a time_point (nanoseconds) plus a long ttl would overflow.
  const auto now = std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch()).count();
  json::object payload{{"sub", c.subject}, {"iat", now}, {"exp", now + c.ttl.count()}};
  if (!c.email.empty()) payload["email"] = c.email;
  std::string signing = b64url(R"({"alg":"HS256","typ":"JWT"})") + "." + b64url(json::serialize(payload));
  return signing + "." + b64url(hmac(secret_, signing));
}

Result<Claims> Hs256::verify(std::string_view token) const {
  auto d1 = token.find('.');
  auto d2 = d1 == std::string_view::npos ? d1 : token.find('.', d1 + 1);
  if (d2 == std::string_view::npos || token.find('.', d2 + 1) != std::string_view::npos)
    return unauthenticated("not three dot-separated parts");
  std::string header, payload, sig;
  if (!unb64url(token.substr(0, d1), header) || !unb64url(token.substr(d1 + 1, d2 - d1 - 1), payload) ||
      !unb64url(token.substr(d2 + 1), sig))
    return unauthenticated("bad base64url");
  boost::system::error_code ec;
  auto h = json::parse(header, ec);
  if (ec || !h.is_object() || !h.as_object().contains("alg") || h.at("alg") != "HS256")
    return unauthenticated("algorithm must be HS256");
  auto expected = hmac(secret_, token.substr(0, d2));
  if (sig.size() != expected.size() || CRYPTO_memcmp(sig.data(), expected.data(), sig.size()) != 0)
    return unauthenticated("bad signature");
  auto p = json::parse(payload, ec);
  if (ec || !p.is_object()) return unauthenticated("payload is not a JSON object");
  const auto& o = p.as_object();
  const auto* sub = o.if_contains("sub");
  const auto* exp = o.if_contains("exp");
  if (!sub || !sub->is_string() || !exp || !exp->is_int64()) return unauthenticated("missing sub or exp");
  Claims c;
  c.subject = std::string(sub->get_string());
  if (const auto* e = o.if_contains("email"); e && e->is_string()) c.email = std::string(e->get_string());
  // Seconds since 1970 held as nanoseconds overflow after 2262 (found by jwt_verify_fuzz): an exp outside
  // 1970..2200 is no expiry a signer means, and refused.
  constexpr std::int64_t kLatestExp = 7258118400;  // 2200-01-01T00:00:00Z
  if (exp->get_int64() < 0 || exp->get_int64() > kLatestExp) return unauthenticated("exp out of range");
  c.expires = std::chrono::system_clock::time_point(std::chrono::seconds(exp->get_int64()));
  if (c.expires <= std::chrono::system_clock::now()) return unauthenticated("expired");
  return c;
}

std::string secret_from(const std::string& flag) {
  std::string s = flag;
  if (s.empty())
    if (const char* env = std::getenv("SVCKIT_JWT_SECRET")) s = env;
  if (s.empty()) throw std::invalid_argument("no JWT secret: pass --jwt-secret or set SVCKIT_JWT_SECRET (32+ bytes)");
  if (s.size() < 32)
    throw std::invalid_argument("JWT secret must be at least 32 bytes (got " + std::to_string(s.size()) + ")");
  return s;
}

Result<Claims> bearer(const Hs256& jwt, std::string_view authorization) {
  if (authorization.empty()) return Status(StatusCode::Unauthenticated, "missing Authorization: Bearer <token>");
  constexpr std::string_view kPrefix = "Bearer ";
  if (authorization.substr(0, kPrefix.size()) != kPrefix)
    return Status(StatusCode::Unauthenticated, "Authorization must be \"Bearer <token>\"");
  return jwt.verify(authorization.substr(kPrefix.size()));
}

}  // namespace svckit::auth
