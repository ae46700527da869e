// svckit/runner.hpp — runs a service process: threads, servers, signals, graceful shutdown.
//
//   svckit::RunnerOptions opts;
//   CLI::App app{"stringsvc: uppercases and counts strings"};
//   svckit::add_runner_flags(app, opts);            // --http-addr --grpc-addr --debug-addr --threads --tls-cert …
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
// in-flight requests until --shutdown-timeout; 4) spans still queued go to the collector (--trace-url);
// 5) the io threads stop.
// TLS (--tls-cert/--tls-key): every server the service builds with server_tls() speaks TLS only, and
// announce() registers the instance with "tls":true so discovered clients dial it over TLS; client_tls()
// are the credentials for the calls it makes (--tls-ca to verify servers; the same certificate and key
// presented to servers that require client certificates, --tls-client-ca on theirs). The debug listener
// stays plaintext (bind it to loopback or a management network).
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
namespace svckit::tls {
struct Credentials;
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
  // Limits of the servers svckit::App builds (each flag only for what the service serves; 0: no limit).
  std::size_t max_connections = 10000;      // HTTP: open connections; one more is closed on accept
  std::size_t max_in_flight = 10000;        // HTTP and gRPC: requests in flight per server; more get 503 / UNAVAILABLE
  std::size_t max_body_bytes = 1 << 20;     // HTTP: request body (413 beyond)
  std::size_t max_message_bytes = 4 << 20;  // gRPC: request message (RESOURCE_EXHAUSTED beyond)
  std::size_t max_streams = 1000;           // gRPC: concurrent streams per connection
  std::size_t grpc_max_connections = 10000;  // gRPC, own wire: open connections; one more is closed on accept
  int grpc_preface_timeout_ms = 10000;       // gRPC, own wire: to send the HTTP/2 preface after connecting
  int grpc_idle_timeout_ms = 0;              // gRPC, own wire: a connection with no call this long is closed (0: never)
  bool grpc_wire = false;                   // gRPC: svckit's own wire instead of grpc++, serving (own_wire) and calling (grpc-wire clients)
  // Service discovery (used by svckit::sd::announce; empty registry: not registered anywhere)
  std::string registry;   // e.g. etcd://127.0.0.1:2379,10.0.0.2:2379
  std::string advertise;  // host:port to register when listening on 0.0.0.0 (default: the listen address)
  std::chrono::seconds register_ttl{10};
  // Tracing (svckit/trace): spans are always propagated; they are recorded only with a collector.
  std::string trace_exporter = "zipkin";  // a registered exporter (trace/exporters.hpp)
  std::string trace_url;          // where it sends, e.g. http://127.0.0.1:9411/api/v2/spans; empty: record no spans
  double trace_sample_rate = 1.0;  // share of new traces recorded (callers' sampled flag is followed)
  // TLS (svckit/tls.hpp): PEM files; empty cert: plaintext servers.
  std::string tls_cert;       // this service's certificate chain (served, and presented as a client)
  std::string tls_key;        // its private key
  std::string tls_client_ca;  // servers: require client certificates signed by these CAs (mutual TLS)
  std::string tls_ca;         // clients: CAs that sign the servers we call (empty: the system's store)
};

/// Which of the servers' address flags add_runner_flags adds (a service has only those of what it serves).
struct RunnerFlags {
  bool http_addr = true;  // --http-addr
  bool grpc_addr = true;  // --grpc-addr
};

/// Adds the common flags every svckit service has to a CLI11 app (svckit::App does this for you).
void add_runner_flags(CLI::App& app, RunnerOptions& opts, RunnerFlags which = {});

class Runner {
 public:
  /// Throws std::invalid_argument for TLS files that cannot be read or do not match (add_runner_flags
  /// reports the same as a flag error, before this).
  explicit Runner(RunnerOptions opts);
  ~Runner();

  IoPool& io() { return io_; }
  const RunnerOptions& options() const { return opts_; }
  const log::Logger& logger() const { return log_; }
  /// Readiness checks; "listening" is built in. See health.hpp.
  Health& health() { return health_; }
  /// For ServerOptions::tls of the service's servers: null without --tls-cert.
  std::shared_ptr<const tls::Credentials> server_tls() const { return server_tls_; }
  /// For the service's clients (ClientOptions::tls): the --tls-ca trust and the service's own
  /// certificate; null when neither --tls-ca nor --tls-cert is given (then TLS peers are verified
  /// against the system's trust store).
  std::shared_ptr<const tls::Credentials> client_tls() const { return client_tls_; }
  /// Where the service answers /healthz and /readyz (the debug listener, serve_debug), once it listens;
  /// empty without one. Registries that check health over HTTP point their agent there (sd::announce).
  std::string health_address() const;
  /// Called by serve_debug: how to learn that address once the listener is bound.
  void set_health_address(std::function<std::string()> address);

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
  std::shared_ptr<trace::Exporter> exporter_;  // set with --trace-url
  std::shared_ptr<const tls::Credentials> server_tls_;
  std::shared_ptr<const tls::Credentials> client_tls_;
  IoPool io_;
  Health health_;
  std::atomic<bool> listening_{false};
  std::vector<std::shared_ptr<Server>> servers_;
  std::vector<std::function<void()>> hooks_;
  std::vector<std::function<void()>> started_hooks_;
  std::function<std::string()> health_address_;  // set before run(), read by on_started hooks
  std::mutex mu_;
  std::condition_variable cv_;
  bool stop_requested_ = false;
};

}  // namespace svckit
