// svckit/server.hpp — what the runner needs from anything that serves requests.
#pragma once

#include <chrono>
#include <string>

namespace svckit {

class Server {
 public:
  virtual ~Server() = default;
  /// Binds and starts accepting. Throws std::system_error when the address cannot be bound.
  virtual void start() = 0;
  /// Graceful stop: stop accepting, let in-flight requests finish until deadline, then close everything.
  /// Blocks until done. Safe to call from a thread that is not one of the server's own.
  virtual void shutdown(std::chrono::steady_clock::time_point deadline) = 0;
  /// "http 127.0.0.1:8080", for logs.
  virtual std::string describe() const = 0;
  /// Once started: the host:port it is reachable at — the listen host with the bound port (so port 0
  /// works), an IPv6 host in brackets. What a registry gets unless --advertise says otherwise; "" for a
  /// server that has no single address.
  virtual std::string address() const { return ""; }
  /// The runner reports readiness changes (see health.hpp); a server with a health protocol of its own
  /// (gRPC's grpc.health.v1) answers accordingly. Called from the runner's thread.
  virtual void set_serving(bool /*serving*/) {}
};

}  // namespace svckit
