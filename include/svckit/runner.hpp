// svckit/runner.hpp — runs a service process: threads, servers, signals, graceful shutdown.
//
//   svckit::RunnerOptions opts;
//   CLI::App app{"stringsvc: uppercases and counts strings"};
//   svckit::add_runner_flags(app, opts);            // --http-addr --grpc-addr --debug-addr --threads …
//   CLI11_PARSE(app, argc, argv);
//   svckit::Runner runner(opts);
//   auto http = std::make_shared<svckit::http::Server>(runner.io(), …);
//   runner.add(http);
//   return runner.run();                            // returns 0 after SIGINT/SIGTERM and a clean drain
//
// Start order: io threads, servers (each listening), then the on_started hooks (registration). From then on
// readiness (health()) is re-evaluated every 250 ms and pushed to the servers (set_serving) when it changes.
// Shutdown order on SIGINT/SIGTERM (or shutdown()): 1) readiness turns NOT_SERVING (/readyz 503, gRPC
// health NOT_SERVING); 2) the on_shutdown hooks, in reverse order of registration (deregistration from the
// registry goes here, so callers stop picking us first); 3) after --drain-delay-ms (default 0: for load
// balancers that poll health rather than watch the registry), every server stops accepting and drains its
// in-flight requests until --shutdown-timeout; 4) spans still queued go to the collector (--zipkin-url);
// 5) the io threads stop.
// Thread-safety: configure (add, on_shutdown) before run(); shutdown() may be called from any thread.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "svckit/health.hpp"
#include "svckit/io_pool.hpp"
#include "svckit/log.hpp"
#include "svckit/server.hpp"

namespace CLI {
class App;
}
namespace svckit::trace {
class Exporter;
}

namespace svckit {

struct RunnerOptions {
  std::string service = "svckit";  // the service's name in traces (Zipkin serviceName)
  std::string http_addr = "127.0.0.1:8080";
  std::string grpc_addr = "127.0.0.1:8081";
  std::string debug_addr = "127.0.0.1:8082";
  std::size_t threads = 0;  // 0: one per core
  std::chrono::milliseconds shutdown_timeout{10000};
  std::chrono::milliseconds drain_delay{0};  // NOT_SERVING → listeners close
  std::string log_level = "info";
  std::string log_format = "logfmt";
  // Service discovery (used by svckit::sd::announce; empty registry: not registered anywhere)
  std::string registry;   // e.g. etcd://127.0.0.1:2379,10.0.0.2:2379
  std::string advertise;  // host:port to register when listening on 0.0.0.0 (default: the listen address)
  std::chrono::seconds register_ttl{10};
  // Tracing (svckit/trace): spans are always propagated; they are recorded only with a collector.
  std::string zipkin_url;         // e.g. http://127.0.0.1:9411/api/v2/spans; empty: record no spans
  double trace_sample_rate = 1.0;  // share of new traces recorded (callers' sampled flag is followed)
};

/// Adds the common flags every svckit service has to a CLI11 app.
void add_runner_flags(CLI::App& app, RunnerOptions& opts);

class Runner {
 public:
  explicit Runner(RunnerOptions opts);
  ~Runner();

  IoPool& io() { return io_; }
  const RunnerOptions& options() const { return opts_; }
  const log::Logger& logger() const { return log_; }
  /// Readiness checks; "listening" is built in. See health.hpp.
  Health& health() { return health_; }

  void add(std::shared_ptr<Server> server);
  /// Runs once every server listens (e.g. registration, so nobody is sent to us before we can answer).
  /// A hook that throws stops the process with exit code 1.
  void on_started(std::function<void()> hook);
  /// Runs first on shutdown, before servers drain (e.g. deregistration).
  void on_shutdown(std::function<void()> hook);

  /// Starts the io threads and the servers, blocks until a signal or shutdown(), drains, returns the exit
  /// code (0 on a clean stop, 1 if a server failed to start).
  int run();
  /// Triggers the same graceful shutdown as SIGTERM.
  void shutdown();

 private:
  RunnerOptions opts_;
  log::Logger log_{"runner"};
  std::shared_ptr<trace::Exporter> zipkin_;  // set with --zipkin-url
  IoPool io_;
  Health health_;
  std::atomic<bool> listening_{false};
  std::vector<std::shared_ptr<Server>> servers_;
  std::vector<std::function<void()>> hooks_;
  std::vector<std::function<void()>> started_hooks_;
  std::mutex mu_;
  std::condition_variable cv_;
  bool stop_requested_ = false;
};

}  // namespace svckit
