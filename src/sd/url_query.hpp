// The query string of a registry URL, for the backends that take options there (consul://, eureka://,
// nacos://): key=value pairs, durations, and percent-encoding for what a backend puts in its own URLs.
#pragma once

#include <chrono>
#include <functional>
#include <string>
#include <string_view>

namespace svckit::sd::detail {

/// Calls f(key, value) for each `key=value` of an undecoded query ("" value when there is no '=').
void for_each_param(std::string_view query, const std::function<void(std::string_view, std::string_view)>& f);

/// "250ms", "30s", "1m" → milliseconds within [least, most]; throws std::invalid_argument naming the
/// scheme and key otherwise.
std::chrono::milliseconds duration_param(std::string_view scheme, std::string_view key, std::string_view value,
                                         std::chrono::milliseconds least, std::chrono::milliseconds most);

/// RFC 3986 percent-encoding of everything but the unreserved characters (A-Z a-z 0-9 - . _ ~).
std::string percent_encode(std::string_view s);

/// Throws std::invalid_argument unless `s` is a service name a backend can put in its URLs: 1..256 bytes
/// of letters, digits, '-', '_' and '.'.
void check_service_name(std::string_view scheme, std::string_view s);

}  // namespace svckit::sd::detail
