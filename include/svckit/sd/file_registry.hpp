// svckit/sd/file_registry.hpp — instances listed in a file on this machine, scheme file://.
//
//   file:///etc/svckit/instances.json      (or .yaml / .yml; the format is in instance_file.hpp)
//
// For a machine or a small deployment with no registry server: an operator (or configuration management,
// or a Kubernetes ConfigMap) writes the file; every instancer follows it. The file is re-read when it
// changes (inotify on its directory, so a file replaced by rename or a swapped symlink is seen too) and
// checked every 2 s besides (file systems without inotify). A bad edit — not JSON/YAML, too large, the
// wrong shape — is logged and ignored: the last good set stays, and the instancers report the error as their
// status until a good version is read. One malformed entry is logged and skipped; the rest of the file
// stands. A missing file is an empty set with an error status. Registering only logs: the file is the list.
#pragma once

#include <memory>

#include "svckit/sd/registry.hpp"

namespace svckit::sd {

/// The factory registered for "file". Throws std::invalid_argument for a URL with a host, a query, or a
/// path that is not absolute.
std::shared_ptr<Registry> open_file_registry(const RegistryUrl& url);

}  // namespace svckit::sd
