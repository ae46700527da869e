// Eureka's JSON, both ways: the instance svckit registers, and what GET /apps/<APP> and GET /apps answer
// (pure functions: fuzzed by eureka_application_fuzz, tested without a server).
#pragma once

#include <chrono>
#include <string>
#include <string_view>
#include <vector>

#include "../polling_instancer.hpp"
#include "svckit/result.hpp"
#include "svckit/sd/instance.hpp"

namespace svckit::sd::eureka {

/// Eureka's application name for a service: upper case, as Eureka stores it.
std::string app_name(std::string_view service);

/// The instance id svckit registers under: "<host>:<service>:<port>" (Spring Cloud's shape).
std::string instance_id(std::string_view service, const Instance& instance);

/// The body of POST /apps/<APP>: {"instance": {...}} with status UP, the address as hostName/ipAddr and
/// port (securePort when the instance speaks TLS), svckit's metadata, and a lease of `duration` renewed
/// every `renewal`.
std::string registration_json(std::string_view service, const Instance& instance, std::chrono::seconds renewal,
                              std::chrono::seconds duration);

/// Reads {"application": {"instance": [...] or {...}}}: instances with status UP, keyed by instanceId; the
/// address is ipAddr (else hostName) with securePort when enabled (then tls), else port. Instances that
/// are not UP are left out silently; malformed ones are skipped with the reason. At most 4 MiB and 100,000
/// instances; an answer that is not such an object is an error.
Result<detail::ParsedInstances> parse_application(std::string_view body);

/// The application names of GET /apps ({"applications": {"application": [{"name": …}, …]}}), sorted.
Result<std::vector<std::string>> parse_application_names(std::string_view body);

}  // namespace svckit::sd::eureka
