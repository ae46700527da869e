// The query string of a registry URL, for the backends that take options there (consul://, eureka://,
// nacos://): key=value pairs, durations, and percent-encoding for what a backend puts in its own URLs.
#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <string_view>

#include "svckit/tls.hpp"

namespace svckit::sd::detail {

/// Calls f(key, value) for each `key=value` of an undecoded query ("" value when there is no '=').
void for_each_param(std::string_view query, const std::function<void(std::string_view, std::string_view)>& f);

/// "250ms", "30s", "1m" → milliseconds within [least, most]; throws std::invalid_argument naming the
/// scheme and key otherwise.
std::chrono::milliseconds duration_param(std::string_view scheme, std::string_view key, std::string_view value,
                                         std::chrono::milliseconds least, std::chrono::milliseconds most);

/// RFC 3986 percent-encoding of everything but the unreserved characters (A-Z a-z 0-9 - . _ ~).
std::string percent_encode(std::string_view s);

/// A server's context path from the URL's path ("/eureka/", "/nacos"): without trailing slashes, `fallback` when
/// none is given; throws std::invalid_argument for one with '?', '#', '%' or a space.
std::string context_path(std::string_view scheme, std::string_view path, std::string fallback);

/// Throws std::invalid_argument unless `s` is a service name a backend can put in its URLs: 1..256 bytes
/// of letters, digits, '-', '_' and '.'.
void check_service_name(std::string_view scheme, std::string_view s);

/// HTTPS to a registry's servers, from the URL: tls=1 (the system's trust store), ca=/path (trust that CA;
/// implies tls), cert=/path and key=/path (a client certificate, for servers that ask for one), server_name=…
struct TlsParams {
  bool on = false;
  tls::ClientConfig config;
};

/// True when `key` is one of the TLS parameters above (then stored in `out`); throws std::invalid_argument
/// for a bad value.
bool tls_param(std::string_view scheme, std::string_view key, std::string_view value, TlsParams& out);

/// The credentials the parameters name, null for plain HTTP; throws std::invalid_argument for a file that
/// cannot be read, a key without its certificate, or a certificate without tls.
std::shared_ptr<const tls::Credentials> load_tls(std::string_view scheme, const TlsParams& params);

}  // namespace svckit::sd::detail
