// HS256 JSON Web Tokens: round trip, and every way a token can be bad.
#include <gtest/gtest.h>

#include <cstdlib>

#include "svckit/auth/jwt.hpp"

using svckit::auth::Hs256;
using svckit::StatusCode;

namespace {

const std::string kSecret = "0123456789abcdef0123456789abcdef";

TEST(Jwt, SignedTokenVerifiesWithItsClaims) {
  Hs256 jwt(kSecret);
  auto token = jwt.sign({.subject = "42", .email = "ann@example.com"});
  auto c = jwt.verify(token);
  ASSERT_TRUE(c.ok()) << c.status().message();
  EXPECT_EQ(c->subject, "42");
  EXPECT_EQ(c->email, "ann@example.com");
  EXPECT_GT(c->expires, std::chrono::system_clock::now());
}

TEST(Jwt, ShortSecretsAreRefused) {
  EXPECT_THROW(Hs256("short"), std::invalid_argument);
  EXPECT_THROW(svckit::auth::secret_from("x"), std::invalid_argument);
  ::setenv("SVCKIT_JWT_SECRET", kSecret.c_str(), 1);
  EXPECT_EQ(svckit::auth::secret_from(""), kSecret);
  ::unsetenv("SVCKIT_JWT_SECRET");
  try {
    svckit::auth::secret_from("");
    FAIL();
  } catch (const std::invalid_argument& e) {
    EXPECT_NE(std::string(e.what()).find("SVCKIT_JWT_SECRET"), std::string::npos);
  }
}

TEST(Jwt, ExpiredTamperedForeignAndMalformedTokensAreUnauthenticated) {
  Hs256 jwt(kSecret);
  auto expect_bad = [&](const std::string& token, const std::string& why) {
    auto r = jwt.verify(token);
    ASSERT_FALSE(r.ok()) << token;
    EXPECT_EQ(r.status().code(), StatusCode::Unauthenticated);
    EXPECT_NE(r.status().message().find(why), std::string::npos) << r.status().message();
  };
  expect_bad(jwt.sign({.subject = "1", .ttl = std::chrono::seconds(-1)}), "expired");
  auto good = jwt.sign({.subject = "1"});
  auto tampered = good;
  // Another valid base64url character in the payload: it decodes, and only the signature can tell.
  char& c = tampered[good.find('.') + 5];
  c = c == 'A' ? 'B' : 'A';
  expect_bad(tampered, "bad signature");
  expect_bad(Hs256("another-secret-another-secret-xx").sign({.subject = "1"}), "bad signature");
  // {"alg":"none"} with the same payload and no signature.
  expect_bad("eyJhbGciOiJub25lIn0." + good.substr(good.find('.') + 1, good.rfind('.') - good.find('.') - 1) + ".",
             "HS256");
  expect_bad("", "three");
  expect_bad("a.b", "three");
  expect_bad("a.b.c.d", "three");
  expect_bad("!!!.b.c", "base64url");
  // Found by jwt_verify_fuzz: a signed exp past 2262 overflowed the nanosecond time_point (UB).
  const auto now = std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch());
  expect_bad(jwt.sign({.subject = "1", .ttl = std::chrono::seconds(41024440800) - now}), "exp out of range");
  expect_bad(jwt.sign({.subject = "1", .ttl = -now - std::chrono::seconds(5)}), "exp out of range");
}

TEST(Jwt, BearerHeaderIsRequiredAndChecked) {
  Hs256 jwt(kSecret);
  EXPECT_EQ(svckit::auth::bearer(jwt, "").status().code(), StatusCode::Unauthenticated);
  EXPECT_EQ(svckit::auth::bearer(jwt, "Basic abc").status().code(), StatusCode::Unauthenticated);
  EXPECT_TRUE(svckit::auth::bearer(jwt, "Bearer " + jwt.sign({.subject = "7"})).ok());
}

}  // namespace
