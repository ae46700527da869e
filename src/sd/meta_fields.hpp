// svckit's instance metadata as a registry's string key/values (Consul's Meta, Eureka's and Nacos's
// metadata), and the checks every registry answer's host and port go through.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include <boost/json/object.hpp>

#include "svckit/result.hpp"
#include "svckit/sd/instance.hpp"

namespace svckit::sd::detail {

/// weight, zone, version, transport and tls as strings (only those set).
boost::json::object meta_object(const Instance& instance);

/// Reads those keys back into `instance` (others are ignored); a weight that is not 1..1000000 is an error.
Status read_meta(const boost::json::object& meta, Instance& instance);

/// "host:port" ("[v6]:port") for a host that is an IP address or a DNS name (at most 253 bytes of letters,
/// digits, '-' and '.') and a port 1..65535; otherwise why not.
Result<std::string> registry_address(std::string_view host, std::int64_t port);

/// A registry's answer that must be a JSON object: at most 4 MiB and 32 levels deep; the error names the
/// backend and `what` ("eureka application").
Result<boost::json::object> parse_json_object(std::string_view body, std::string_view what);

/// The string member `name`, "" when absent or not a string.
std::string text_field(const boost::json::object& o, std::string_view name);

}  // namespace svckit::sd::detail
