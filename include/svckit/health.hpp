// svckit/health.hpp — is this process ready for traffic? The answer behind /readyz and grpc.health.v1.
//
//   runner.health().add_check("storage", [db] { return db->ping(); });
//
// Ready means: every check passes and the process is not draining. The runner adds "listening" (true once
// every server has started), svckit::sd::announce adds "registered" (the registry holds our entry), and a
// service adds whatever else it needs before it can answer (a storage connection, a warmed cache).
// When shutdown begins the process is draining: not ready, whatever the checks say — load balancers and
// health-checking clients see NOT_SERVING before any listener closes.
// Thread-safety: add checks before Runner::run(); report() and draining() from any thread.
#pragma once

#include <atomic>
#include <functional>
#include <string>
#include <utility>
#include <vector>

namespace svckit {

class Health {
 public:
  using Check = std::function<bool()>;

  /// Adds a named condition; it must be cheap (it runs on every /readyz and every readiness poll).
  void add_check(std::string name, Check check) { checks_.emplace_back(std::move(name), std::move(check)); }

  struct Report {
    bool ready = false;
    std::vector<std::string> failing;  // names of failing checks, and "draining" while shutting down
  };
  Report report() const;

  void set_draining() { draining_ = true; }
  bool draining() const { return draining_; }

 private:
  std::vector<std::pair<std::string, Check>> checks_;
  std::atomic<bool> draining_{false};
};

}  // namespace svckit
