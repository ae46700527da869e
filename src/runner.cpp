#include "svckit/runner.hpp"

#include <CLI/CLI.hpp>
#include <boost/asio/signal_set.hpp>

#include "svckit/tls.hpp"
#include "svckit/trace/exporters.hpp"

namespace svckit {

namespace {

std::string join_names(const std::vector<std::string>& names) {
  std::string out;
  for (const auto& n : names) out += (out.empty() ? "" : ", ") + n;
  return out.empty() ? "none" : out;
}

std::shared_ptr<const tls::Credentials> load_server_tls(const RunnerOptions& o) {
  if (o.tls_cert.empty() && o.tls_key.empty()) {
    if (!o.tls_client_ca.empty()) throw std::invalid_argument("--tls-client-ca needs --tls-cert and --tls-key");
    return nullptr;
  }
  if (o.tls_cert.empty() || o.tls_key.empty()) throw std::invalid_argument("--tls-cert and --tls-key go together");
  return tls::load_server({.cert_file = o.tls_cert, .key_file = o.tls_key, .client_ca_file = o.tls_client_ca});
}

std::shared_ptr<const tls::Credentials> load_client_tls(const RunnerOptions& o) {
  if (o.tls_ca.empty() && o.tls_cert.empty()) return nullptr;
  return tls::load_client({.ca_file = o.tls_ca, .cert_file = o.tls_cert, .key_file = o.tls_key});
}

void add_tls_flags(CLI::App& app, RunnerOptions& o) {
  app.add_option("--tls-cert", o.tls_cert, "serve TLS only, with this PEM certificate chain (also our client certificate)");
  app.add_option("--tls-key", o.tls_key, "the PEM private key of --tls-cert");
  app.add_option("--tls-client-ca", o.tls_client_ca, "require client certificates signed by these PEM CAs (mutual TLS)");
  app.add_option("--tls-ca", o.tls_ca, "PEM CAs that sign the servers this service calls (default: system store)");
}

// What no single flag's check can see, reported as a flag error before anything starts: TLS files that are
// unreadable or do not match, a collector URL the chosen exporter cannot use. (CLI11 keeps one such
// callback per app: this is it.)
void check_flags_together(CLI::App& app, RunnerOptions& o) {
  app.parse_complete_callback([&o] {
    try {
      (void)load_server_tls(o);
      (void)load_client_tls(o);
    } catch (const std::invalid_argument& e) {
      throw CLI::ValidationError("TLS", e.what());
    }
    if (o.trace_url.empty()) return;  // no spans sent: the default exporter need not be linked
    if (auto why = trace::exporter_url_error(o.trace_exporter, o.trace_url); !why.empty())
      throw CLI::ValidationError("--trace-url", why);
  });
}

// Limits of the servers a service has (docs/security.md): each flag only for a transport it serves.
void add_limit_flags(CLI::App& app, RunnerOptions& o, RunnerFlags which) {
  if (which.http_addr) {
    app.add_option("--max-connections", o.max_connections, "HTTP connections open at once; more are closed on accept (0: no limit)")
        ->check(CLI::Range(std::size_t{0}, std::size_t{10000000}))
        ->capture_default_str();
    app.add_option("--max-body-bytes", o.max_body_bytes, "largest HTTP request body (413 beyond)")
        ->check(CLI::Range(std::size_t{1}, std::size_t{1} << 30))
        ->capture_default_str();
  }
  if (which.grpc_addr) {
    app.add_option("--max-message-bytes", o.max_message_bytes, "largest gRPC request message (RESOURCE_EXHAUSTED beyond)")
        ->check(CLI::Range(std::size_t{1}, std::size_t{1} << 30))
        ->capture_default_str();
    app.add_option("--max-streams", o.max_streams, "gRPC streams one connection may have open at once (0: gRPC's default)")
        ->check(CLI::Range(std::size_t{0}, std::size_t{1000000}))
        ->capture_default_str();
    // The own wire's connection limits (grpc++ has its own, not settable from here).
    app.add_option("--grpc-max-connections", o.grpc_max_connections,
                   "with --grpc-wire: gRPC connections open at once; more are closed on accept (0: no limit)")
        ->check(CLI::Range(std::size_t{0}, std::size_t{10000000}))
        ->capture_default_str();
    app.add_option("--grpc-preface-timeout-ms", o.grpc_preface_timeout_ms,
                   "with --grpc-wire: a gRPC connection that has not sent the HTTP/2 preface within this is closed")
        ->check(CLI::Range(1, 3600000))
        ->capture_default_str();
    app.add_option("--grpc-idle-timeout-ms", o.grpc_idle_timeout_ms,
                   "with --grpc-wire: a gRPC connection without a call for this long is sent GOAWAY and closed (0: never)")
        ->check(CLI::Range(0, 86400000))
        ->capture_default_str();
  }
  app.add_flag("--grpc-wire", o.grpc_wire,
               "gRPC on svckit's own HTTP/2 wire, on the io threads: this service's gRPC server and its calls to other services "
               "(unary and server-streaming methods and the health service, plaintext or TLS)");
  if (which.http_addr || which.grpc_addr)
    app.add_option("--max-in-flight", o.max_in_flight, "requests in flight per server before 503 / UNAVAILABLE (0: no limit)")
        ->check(CLI::Range(std::size_t{0}, std::size_t{10000000}))
        ->capture_default_str();
}

}  // namespace

void add_runner_flags(CLI::App& app, RunnerOptions& o, RunnerFlags which) {
  // Addresses may also come from the environment (a container image sets them once for any service).
  if (which.http_addr)
    app.add_option("--http-addr", o.http_addr, "HTTP listen address host:port")->envname("SVCKIT_HTTP_ADDR")->capture_default_str();
  if (which.grpc_addr)
    app.add_option("--grpc-addr", o.grpc_addr, "gRPC listen address host:port")->envname("SVCKIT_GRPC_ADDR")->capture_default_str();
  app.add_option("--debug-addr", o.debug_addr, "debug listener (metrics, health) host:port")
      ->envname("SVCKIT_DEBUG_ADDR")
      ->capture_default_str();
  app.add_option("--threads", o.threads, "io threads (0: one per core)")->capture_default_str();
  add_limit_flags(app, o, which);
  app.add_option_function<int>(
         "--shutdown-timeout-ms", [&o](int ms) { o.shutdown_timeout = std::chrono::milliseconds(ms); },
         "how long in-flight requests may run after SIGTERM")
      ->default_str(std::to_string(o.shutdown_timeout.count()));
  app.add_option_function<int>(
         "--drain-delay-ms", [&o](int ms) { o.drain_delay = std::chrono::milliseconds(ms); },
         "after SIGTERM, how long to keep listening while reporting NOT_SERVING (for health-polling balancers)")
      ->check(CLI::Range(0, 600000))
      ->default_str(std::to_string(o.drain_delay.count()));
  app.add_option("--log-level", o.log_level, "debug|info|warn|error")
      ->check(CLI::IsMember({"debug", "info", "warn", "error"}))
      ->capture_default_str();
  app.add_option("--log-format", o.log_format, "logfmt|json")
      ->check(CLI::IsMember({"logfmt", "json"}))
      ->capture_default_str();
  app.add_option("--registry", o.registry, "registry URL to register in and discover from, e.g. etcd://127.0.0.1:2379")
      ->capture_default_str();
  app.add_option("--advertise", o.advertise, "host:port to register (default: the listen address)");
  app.add_option_function<int>(
         "--register-ttl", [&o](int s) { o.register_ttl = std::chrono::seconds(s); },
         "registration lease TTL in seconds (kept alive; expires if the process dies)")
      ->check(CLI::Range(1, 3600))
      ->default_str(std::to_string(o.register_ttl.count()));
  app.add_option("--trace-exporter", o.trace_exporter, "where spans go: a registered exporter (linked: " + join_names(trace::exporter_names()) + ")")
      ->check([](const std::string& name) { return trace::exporter_url_error(name, ""); })
      ->capture_default_str();
  app.add_option("--trace-url", o.trace_url, "send spans to this collector, e.g. http://127.0.0.1:9411/api/v2/spans "
                                             "(default: record none)");
  app.add_option_function<std::string>(
         "--zipkin-url",
         [&o](const std::string& url) {
           o.trace_exporter = "zipkin";
           o.trace_url = url;
         },
         "short for --trace-exporter zipkin --trace-url URL")
      ->check([](const std::string& url) {
        return url.empty() ? std::string("--zipkin-url needs a URL") : trace::exporter_url_error("zipkin", url);
      });
  app.add_option("--trace-sample-rate", o.trace_sample_rate, "share of new traces recorded (0..1)")
      ->check(CLI::Range(0.0, 1.0))
      ->capture_default_str();
  add_tls_flags(app, o);
  check_flags_together(app, o);
}

Runner::Runner(RunnerOptions opts)
    : opts_(std::move(opts)), server_tls_(load_server_tls(opts_)), client_tls_(load_client_tls(opts_)), io_(opts_.threads) {
  health_.add_check("listening", [this] { return listening_.load(); });
  log::configure(log::parse_level(opts_.log_level).value_or(log::Level::Info),
                 log::parse_format(opts_.log_format).value_or(log::Format::Logfmt));
  if (!opts_.trace_url.empty()) {
    exporter_ = trace::make_exporter(opts_.trace_exporter, opts_.trace_url);
    trace::set_exporter(exporter_, {.service_name = opts_.service, .sample_rate = opts_.trace_sample_rate});
  }
}

Runner::~Runner() {
  io_.stop();
  io_.join();
}

void Runner::add(std::shared_ptr<Server> server) { servers_.push_back(std::move(server)); }

std::string Runner::health_address() const { return health_address_ ? health_address_() : std::string(); }

void Runner::set_health_address(std::function<std::string()> address) { health_address_ = std::move(address); }

void Runner::on_started(std::function<void()> hook) { started_hooks_.push_back(std::move(hook)); }

void Runner::on_shutdown(std::function<void()> hook) { hooks_.push_back(std::move(hook)); }

void Runner::shutdown() {
  std::lock_guard lock(mu_);
  stop_requested_ = true;
  cv_.notify_all();
}

int Runner::run() {
  io_.start();

  // Signals are waited for on a small private io_context, so no signal handler runs arbitrary code.
  boost::asio::io_context sig_io(1);
  boost::asio::signal_set signals(sig_io, SIGINT, SIGTERM);
  signals.async_wait([this](const boost::system::error_code& ec, int sig) {
    if (ec) return;
    log_.info("signal received, shutting down", {{"signal", sig == SIGINT ? "SIGINT" : "SIGTERM"}});
    shutdown();
  });
  std::thread sig_thread([&] { sig_io.run(); });

  int rc = 0;
  std::size_t started = 0;
  try {
    for (auto& s : servers_) {
      s->start();
      ++started;
      log_.info("listening", {{"server", s->describe()}});
    }
    listening_ = true;
    for (auto& hook : started_hooks_) hook();
  } catch (const std::exception& e) {
    log_.error("start failed", {{"error", e.what()}});
    rc = 1;
    shutdown();
  }

  // Readiness: polled (checks are cheap) and pushed to the servers when it changes.
  bool serving = false;
  auto push_readiness = [&] {
    const bool now = health_.report().ready;
    if (now == serving) return;
    serving = now;
    for (std::size_t i = 0; i < started; ++i) servers_[i]->set_serving(now);
    log_.info(now ? "ready" : "not ready");
  };
  {
    std::unique_lock lock(mu_);
    while (!stop_requested_) {
      lock.unlock();
      push_readiness();
      lock.lock();
      cv_.wait_for(lock, std::chrono::milliseconds(250), [this] { return stop_requested_; });
    }
  }

  health_.set_draining();
  push_readiness();
  for (auto it = hooks_.rbegin(); it != hooks_.rend(); ++it) (*it)();
  if (rc == 0) std::this_thread::sleep_for(opts_.drain_delay);  // the configured grace for health pollers
  const auto deadline = std::chrono::steady_clock::now() + opts_.shutdown_timeout;
  for (std::size_t i = 0; i < started; ++i) servers_[i]->shutdown(deadline);
  if (exporter_) {
    trace::set_exporter(nullptr);
    exporter_->flush(std::chrono::seconds(2));
  }
  log_.info("stopped");

  signals.cancel();
  sig_io.stop();
  sig_thread.join();
  io_.stop();
  io_.join();
  return rc;
}

}  // namespace svckit
