// Email address checks and ids shared by the bug tracker's services.
#pragma once

#include <string>
#include <string_view>

namespace bugtracker {

/// A practical check: one '@', a non-empty local part, a dotted domain of letters, digits, '-' and '.',
/// no spaces or control characters, at most 254 characters. Returns why not, or "" when valid.
std::string email_problem(std::string_view email);

/// A random (version 4) UUID, lower-case with dashes.
std::string new_uuid();

}  // namespace bugtracker
