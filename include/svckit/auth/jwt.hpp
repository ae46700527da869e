// svckit/auth/jwt.hpp — JSON Web Tokens signed with HMAC-SHA256 (HS256), and Bearer-token checks.
//
//   svckit::auth::Hs256 jwt(svckit::auth::secret_from(flag_value));   // --jwt-secret or SVCKIT_JWT_SECRET
//   std::string token = jwt.sign({.subject = "42", .ttl = std::chrono::hours(1)});
//   auto claims = jwt.verify(token);               // Unauthenticated, saying why, when not valid
//   auto who = svckit::auth::bearer(jwt, req.msg[boost::beast::http::field::authorization]);
//
// Only HS256 is accepted: a token whose header names another algorithm ("none", RS256…) is refused, so a
// token cannot choose how it is checked. Signatures are compared in constant time.
// Thread-safety: a signer is immutable after construction; use it from any thread.
#pragma once

#include <chrono>
#include <string>
#include <string_view>

#include "svckit/result.hpp"

namespace svckit::auth {

struct Claims {
  std::string subject;                         // "sub": who (e.g. the user id)
  std::string email;                           // "email", optional
  std::chrono::seconds ttl{3600};              // for sign(): "exp" = now + ttl
  std::chrono::system_clock::time_point expires;  // from verify(): "exp"
};

class Hs256 {
 public:
  /// Throws std::invalid_argument when the secret is shorter than 32 bytes.
  explicit Hs256(std::string secret);
  std::string sign(const Claims& claims) const;
  Result<Claims> verify(std::string_view token) const;

 private:
  std::string secret_;
};

/// The secret: `flag` if not empty, else the SVCKIT_JWT_SECRET environment variable; throws
/// std::invalid_argument when neither is set or the secret is shorter than 32 bytes.
std::string secret_from(const std::string& flag);

/// Checks an Authorization header value ("Bearer <token>"): Unauthenticated when missing or invalid.
Result<Claims> bearer(const Hs256& jwt, std::string_view authorization);

}  // namespace svckit::auth
