// svckit/sd/registrar.hpp — announces one instance of a service in a registry (go-kit's sd.Registrar).
//
//   auto registrar = registry->registrar("users", "10.0.0.5:8080");
//   registrar->register_instance();              // after the server listens; returns at once
//   ...
//   registrar->deregister(std::chrono::seconds(2));  // on SIGTERM, before draining
//
// A registrar keeps the instance registered until deregister(): if the registry forgets it (lease expired
// during an outage, key deleted by hand), it registers again with backoff, forever, and logs each change.
// Thread-safety: all members may be called from any thread.
#pragma once

#include <chrono>

#include "svckit/status.hpp"

namespace svckit::sd {

class Registrar {
 public:
  virtual ~Registrar() = default;
  /// Starts announcing the instance (asynchronously) and keeps it announced.
  virtual void register_instance() = 0;
  /// Withdraws the instance and waits at most `timeout` for the registry to confirm.
  virtual Status deregister(std::chrono::milliseconds timeout) = 0;
  /// True while the registry holds our entry, as far as the registrar knows.
  virtual bool registered() const = 0;
};

}  // namespace svckit::sd
