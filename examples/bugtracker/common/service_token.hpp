// Tokens the tracker's services present to each other: subject "service:<name>", signed with the secret they
// share. Users' tokens have a user's numeric id as their subject, so no user token is a service's.
#pragma once

#include <chrono>
#include <string>
#include <string_view>

#include "svckit/auth/jwt.hpp"

namespace bugtracker {

inline constexpr std::string_view kServiceSubject = "service:";

inline bool is_service(const svckit::auth::Claims& who) { return who.subject.starts_with(kServiceSubject); }

/// A short-lived token for service `name` (one per call: signing costs a single HMAC).
inline std::string service_token(const svckit::auth::Hs256& key, std::string_view name,
                                 std::chrono::seconds ttl = std::chrono::seconds(60)) {
  return key.sign({.subject = std::string(kServiceSubject) + std::string(name), .ttl = ttl});
}

}  // namespace bugtracker
