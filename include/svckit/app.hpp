// svckit/app.hpp — one service process: its flags, servers, debug listener, registration, tracing and
// graceful shutdown (kratos' kratos.New, go-micro's micro.NewService).
//
//   int main(int argc, char** argv) {
//     svckit::App app("greeter", "greeter: says hello over gRPC and HTTP/JSON");
//     app.serve_grpc("127.0.0.1:8081").serve_http("127.0.0.1:8080");   // each adds its --*-addr flag
//     std::string greeting = "hello";
//     app.flags().add_option("--greeting", greeting, "what to say");     // the service's own flags
//     return app.main(argc, argv, [&] {                                 // flags parsed: wire the service
//       auto endpoints = greeter::make_endpoints(std::make_shared<Greeter>(greeting));
//       greeter::add_grpc_methods(app.grpc(), endpoints);
//       greeter::add_http_routes(app.http(), endpoints);
//     });
//   }
//
// Every App has the runner's flags (runner.hpp: --debug-addr, --threads, --registry, --advertise, tracing,
// TLS, logging, shutdown), plus --http-addr and --grpc-addr only for what it serves. main() parses them
// (--help prints and exits 0; a bad flag prints why and exits non-zero), runs the setup function (a
// std::exception from it prints "error: …" and exits 2), then runs until SIGINT/SIGTERM: servers listen, the
// debug listener serves /metrics, /healthz, /readyz and debug_routes(), and with --registry the service
// registers under its name — the gRPC server's address when it serves gRPC, else the HTTP one, or
// --advertise — and deregisters first on shutdown. registry() is the same registry, for the service's
// clients: one connection to it per process.
// Thread-safety: configure and wire from one thread, before run(); runner().shutdown() from any thread.
#pragma once

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <type_traits>
#include <vector>

#include "svckit/runner.hpp"
#include "svckit/sd/instance.hpp"

namespace CLI {
class App;
}
namespace svckit::http {
class Router;
}
namespace svckit::grpc {
class Server;
}
namespace svckit::sd {
class Registry;
}

namespace svckit {

class App {
 public:
  /// `name`: what the service registers as and what its logs and spans say; `about`: --help's first line.
  App(std::string name, std::string about);
  ~App();
  App(const App&) = delete;
  App& operator=(const App&) = delete;

  // Before parsing ------------------------------------------------------------------------------------
  /// Serves HTTP: adds --http-addr, defaulting to `address`.
  App& serve_http(std::string address = "127.0.0.1:8080");
  /// Serves gRPC: adds --grpc-addr, defaulting to `address`. Defined in svckit::grpc (link it to call this).
  App& serve_grpc(std::string address = "127.0.0.1:8081");
  /// The debug listener's default address (--debug-addr; 127.0.0.1:8082 unless set).
  App& debug_address(std::string address);
  /// --registry must be given (the service calls others it finds there); `why` goes into the error.
  App& require_registry(std::string why);
  /// Metadata registered with the instance (weight, zone, version, transport); the address is filled in.
  App& register_with(sd::Instance metadata);
  /// Where the service's own flags go (CLI11). Checks that span several flags belong in the setup: the app's
  /// one parse-complete callback is svckit's.
  CLI::App& flags();

  /// Parses the command line and builds what the flags describe (runner, registry, gRPC server). Returns
  /// an exit code when main should return now (0 after --help; non-zero after printing what is wrong), else
  /// nullopt.
  std::optional<int> parse(int argc, char** argv);

  // After parsing -------------------------------------------------------------------------------------
  Runner& runner();
  IoPool& io() { return runner().io(); }
  const RunnerOptions& options() const { return opts_; }
  /// The HTTP server's routes (serve_http only; throws std::logic_error otherwise). Filled before run().
  http::Router& http();
  /// The gRPC server, to add methods to (serve_grpc only; throws std::logic_error otherwise). In svckit::grpc.
  grpc::Server& grpc();
  /// Routes of the service's own on the debug listener (e.g. an authenticated admin view).
  http::Router& debug_routes();
  /// The registry --registry names, shared by registration and the service's clients; null without it.
  std::shared_ptr<sd::Registry> registry() const { return registry_; }

  /// Starts the servers, the debug listener and registration; blocks until SIGINT/SIGTERM and a drain;
  /// returns the exit code (0 on a clean stop, 1 if something failed to start, 2 for a bad --advertise).
  int run();
  /// parse(), then setup(), then run(): the whole of a service's main. A setup that returns an int (an
  /// std::optional<int>) may end the process there with that exit code, e.g. for a one-off maintenance mode.
  template <class Setup>
  int main(int argc, char** argv, Setup&& setup) {
    if (auto rc = parse(argc, argv)) return *rc;
    try {
      if constexpr (std::is_void_v<std::invoke_result_t<Setup&>>) {
        setup();
      } else if (std::optional<int> rc = setup()) {
        return *rc;
      }
    } catch (const std::exception& e) {
      return start_failed(e);
    }
    return run();
  }

  /// Keeps `thing` alive until the App is destroyed (after run() returns and the servers are gone), for
  /// what the setup makes that others refer to (a blocking pool, a background sender); returns it.
  template <class T>
  T& keep(std::shared_ptr<T> thing) {
    kept_.push_back(thing);
    return *thing;
  }

 private:
  /// Prints "error: <what>" and gives the exit code 2: how flags, setup and registration refuse to start.
  int start_failed(const std::exception& e);

  std::vector<std::shared_ptr<void>> kept_;  // first: destroyed last, after the servers that refer to it
  std::string name_;
  RunnerOptions opts_;
  std::unique_ptr<CLI::App> cli_;
  bool http_ = false, grpc_ = false;
  std::string registry_required_;  // why, when required
  sd::Instance metadata_;
  std::unique_ptr<Runner> runner_;
  std::shared_ptr<sd::Registry> registry_;
  std::unique_ptr<http::Router> http_routes_;
  std::unique_ptr<http::Router> debug_routes_;
  // serve_grpc (svckit::grpc) sets the maker; the App itself never names the gRPC transport, so a service
  // without gRPC does not link it.
  std::function<std::shared_ptr<Server>()> make_grpc_server_;
  std::shared_ptr<Server> grpc_server_;
};

}  // namespace svckit
