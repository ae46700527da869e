// What Consul's /v1/health/service/<name> answers, read into instances (a pure function: fuzzed, and tested
// without an agent).
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "../polling_instancer.hpp"
#include "svckit/result.hpp"
#include "svckit/sd/instance.hpp"

namespace svckit::sd::consul {

/// The instances (key "<node>/<service id>") and one line per entry left out, with the reason.
using HealthEntries = detail::ParsedInstances;

/// Parses the JSON array of entries ({Node, Service, Checks}); the address is Service.Address (else
/// Node.Address) with Service.Port; Service.Meta gives weight, zone, version, transport and tls. An answer
/// that is not such an array is an error; one bad entry is skipped. At most 4 MiB and 100,000 entries.
Result<HealthEntries> parse_health_entries(std::string_view body);

}  // namespace svckit::sd::consul
