#include "email.hpp"

#include <uuid/uuid.h>

#include <cctype>

namespace bugtracker {

std::string email_problem(std::string_view email) {
  if (email.empty()) return "email is required";
  if (email.size() > 254) return "email is longer than 254 characters";
  auto at = email.find('@');
  if (at == std::string_view::npos || email.find('@', at + 1) != std::string_view::npos)
    return "email must contain exactly one '@'";
  auto local = email.substr(0, at), domain = email.substr(at + 1);
  if (local.empty()) return "email has nothing before '@'";
  for (unsigned char c : email)
    if (c <= ' ' || c == 0x7f) return "email must not contain spaces or control characters";
  if (domain.empty() || domain.find('.') == std::string_view::npos || domain.front() == '.' || domain.back() == '.' ||
      domain.find("..") != std::string_view::npos)
    return "email domain must look like example.com";
  for (unsigned char c : domain)
    if (!std::isalnum(c) && c != '-' && c != '.') return "email domain has a character that is not allowed";
  return {};
}

std::string new_uuid() {
  uuid_t u;
  uuid_generate_random(u);
  char out[37];
  uuid_unparse_lower(u, out);
  return out;
}

}  // namespace bugtracker
