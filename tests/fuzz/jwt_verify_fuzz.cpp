// Fuzz target: JWT verification and the Authorization header around it (what every write to bugs passes
// through before anything else). Two ways in:
//  - the bytes as a token (and as an Authorization value): the answer is claims or UNAUTHENTICATED;
//  - the bytes as the payload of a token signed with the right key, as a signer that writes odd claims
//    would make one: the claims parser behind the signature check sees arbitrary JSON.
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "svckit/auth/jwt.hpp"

namespace {

const std::string kSecret = "fuzz-secret-fuzz-secret-fuzz-secret!";

std::string b64url(std::string_view in) {
  std::string out(4 * ((in.size() + 2) / 3) + 1, '\0');
  int n = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()), reinterpret_cast<const unsigned char*>(in.data()),
                          static_cast<int>(in.size()));
  out.resize(static_cast<std::size_t>(n));
  while (!out.empty() && out.back() == '=') out.pop_back();
  for (char& c : out) c = c == '+' ? '-' : c == '/' ? '_' : c;
  return out;
}

std::string signed_with_payload(std::string_view payload) {
  std::string signing = b64url(R"({"alg":"HS256","typ":"JWT"})") + "." + b64url(payload);
  unsigned char mac[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  HMAC(EVP_sha256(), kSecret.data(), static_cast<int>(kSecret.size()), reinterpret_cast<const unsigned char*>(signing.data()),
       signing.size(), mac, &len);
  return signing + "." + b64url(std::string_view(reinterpret_cast<const char*>(mac), len));
}

void expect_claims_or_unauthenticated(const svckit::Result<svckit::auth::Claims>& r) {
  if (!r.ok() && r.status().code() != svckit::StatusCode::Unauthenticated) std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static const svckit::auth::Hs256 jwt(kSecret);
  std::string_view in(reinterpret_cast<const char*>(data), size);
  expect_claims_or_unauthenticated(jwt.verify(in));
  expect_claims_or_unauthenticated(svckit::auth::bearer(jwt, in));
  auto r = jwt.verify(signed_with_payload(in));
  expect_claims_or_unauthenticated(r);
  if (r.ok() && r->subject.empty() && in.find("\"sub\"") == std::string_view::npos) std::abort();  // no sub, no claims
  return 0;
}
