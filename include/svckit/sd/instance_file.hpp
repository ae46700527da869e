// svckit/sd/instance_file.hpp — the instances file the file:// registry reads, in JSON or YAML.
//
//   {"notificator": ["10.0.0.5:9000", {"addr": "10.0.0.6:9000", "weight": 2, "zone": "eu-1"}],
//    "users": ["10.0.0.5:8080"]}
//
// or the same in YAML (a file named *.yaml or *.yml):
//
//   notificator:
//     - 10.0.0.5:9000
//     - {addr: 10.0.0.6:9000, weight: 2, zone: eu-1}
//   users: [10.0.0.5:8080]
//
// The top level maps service names to lists; each entry is what a registry value holds (instance.hpp): a
// bare host:port or an object with "addr" and metadata. An instance's key is its address.
// A file that is not such a map is an error as a whole; one bad entry (or a repeated address) is skipped
// and named in `skipped`, the rest of the file stands — as an etcd watcher skips one malformed value.
#pragma once

#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "svckit/result.hpp"
#include "svckit/sd/instance.hpp"

namespace svckit::sd {

enum class InstanceFileFormat { json, yaml };

/// yaml for a path ending in .yaml or .yml, else json.
InstanceFileFormat instance_file_format(std::string_view path);

struct InstanceFile {
  std::map<std::string, std::vector<Instance>, std::less<>> services;
  std::vector<std::string> skipped;  // one line per entry left out: "notificator[2]: why"
};

/// Limits on what parse_instance_file accepts (a file beyond them is an error).
inline constexpr std::size_t kMaxInstanceFileBytes = 4 << 20;
inline constexpr std::size_t kMaxInstanceFileEntries = 100'000;
inline constexpr std::size_t kMaxServiceNameBytes = 256;

/// Parses an instances file; never throws. The error says what is wrong and where.
Result<InstanceFile> parse_instance_file(std::string_view text, InstanceFileFormat format);

}  // namespace svckit::sd
