// svckit::App: the flags of exactly what a service serves, the address it registers (bound port, IPv6 in
// brackets, --advertise), and the exits main() promises. Registration is observed through a registry
// scheme of this file's own ("rec://"), which records what it is asked to register.
#include "svckit/app.hpp"

#include <gtest/gtest.h>

#include <CLI/CLI.hpp>
#include <mutex>
#include <thread>
#include <vector>

#include "support/etcd.hpp"
#include "support/http_call.hpp"
#include "support/run.hpp"
#include "svckit/sd/registry.hpp"
#include "svckit/sd/static_instancer.hpp"
#include "svckit/transport/http/router.hpp"
#include "svckit/transport/http/server.hpp"

using namespace std::chrono_literals;
namespace sd = svckit::sd;

namespace {

struct Recorded {
  std::mutex mu;
  std::vector<std::string> registered, deregistered;  // "service address"
  std::string last_transport;
};
Recorded& recorded() {
  static Recorded r;
  return r;
}

class RecordingRegistry final : public sd::Registry {
  struct Rec final : sd::Registrar {
    Rec(std::string s, sd::Instance i) : line(std::move(s) + " " + i.address), transport(i.transport) {}
    void register_instance() override {
      std::lock_guard lock(recorded().mu);
      recorded().registered.push_back(line);
      recorded().last_transport = transport;
    }
    svckit::Status deregister(std::chrono::milliseconds) override {
      std::lock_guard lock(recorded().mu);
      recorded().deregistered.push_back(line);
      return {};
    }
    bool registered() const override { return true; }
    std::string line, transport;
  };

 public:
  std::unique_ptr<sd::Registrar> registrar(std::string_view service, sd::Instance inst, std::chrono::seconds) override {
    return std::make_unique<Rec>(std::string(service), std::move(inst));
  }
  std::shared_ptr<sd::Instancer> instancer(std::string_view) override {
    return sd::StaticInstancer::create(std::vector<sd::Instance>{});
  }
};

[[maybe_unused]] const bool kRec = sd::register_registry("rec", [](const sd::RegistryUrl&) -> std::shared_ptr<sd::Registry> {
  return std::make_shared<RecordingRegistry>();
});

/// Runs an App's main() on a thread with these arguments until `stop_when` holds, then shuts it down;
/// returns main()'s exit code.
template <class Setup, class Cond>
int run_app(svckit::App& app, std::vector<const char*> args, Setup setup, Cond stop_when) {
  args.insert(args.begin(), "app");
  int rc = -1;
  std::atomic<bool> started{false};
  std::thread t([&] {
    rc = app.main(static_cast<int>(args.size()), const_cast<char**>(args.data()), [&] {
      setup();
      app.runner().on_started([&] { started = true; });
    });
  });
  EXPECT_TRUE(svckit::test::wait_until([&] { return started.load() && stop_when(); }, 10s));
  if (started) app.runner().shutdown();
  t.join();
  return rc;
}

std::string only_registered() {
  std::lock_guard lock(recorded().mu);
  return recorded().registered.empty() ? "" : recorded().registered.back();
}

void clear_recorded() {
  std::lock_guard lock(recorded().mu);
  recorded().registered.clear();
  recorded().deregistered.clear();
}

/// What `--help` prints for an app that has declared what it serves.
std::string help_of(svckit::App& app) {
  const char* help[] = {"app", "--help"};
  testing::internal::CaptureStdout();
  EXPECT_EQ(app.parse(2, const_cast<char**>(help)), 0);
  return testing::internal::GetCapturedStdout();
}

svckit::http::Handler ok() {
  return [](svckit::http::Request&) -> boost::asio::awaitable<svckit::http::Response> {
    co_return svckit::http::json_response(200, "{}");
  };
}

}  // namespace

// An HTTP-only service has no gRPC flags, and --help says what it serves.
TEST(App, HasTheFlagsOfWhatItServesOnly) {
  svckit::App http_only("h", "h: http only");
  http_only.serve_http();
  const char* argv[] = {"h", "--grpc-addr", "127.0.0.1:0"};
  testing::internal::CaptureStderr();
  EXPECT_NE(http_only.parse(3, const_cast<char**>(argv)).value_or(0), 0) << "--grpc-addr was accepted";
  EXPECT_NE(testing::internal::GetCapturedStderr().find("--grpc-addr"), std::string::npos);

  svckit::App grpc_only("g", "g: grpc only");
  grpc_only.serve_grpc();
  const auto text = help_of(grpc_only);
  EXPECT_NE(text.find("--grpc-addr"), std::string::npos) << text;
  EXPECT_EQ(text.find("--http-addr"), std::string::npos) << text;
  EXPECT_NE(text.find("--debug-addr"), std::string::npos) << text;
}

// What is registered is where the server can be reached: the listen host with the bound port.
TEST(App, RegistersTheBoundAddressAndDeregistersOnShutdown) {
  clear_recorded();
  svckit::App app("svc", "svc");
  app.serve_http();
  int rc = run_app(app, {"--http-addr", "127.0.0.1:0", "--debug-addr", "127.0.0.1:0", "--registry", "rec://r:1"},
                   [&] { app.http().add(svckit::http::Verb::get, "/x", ok()); }, [] { return !only_registered().empty(); });
  EXPECT_EQ(rc, 0);
  const auto line = only_registered();
  EXPECT_EQ(line.rfind("svc 127.0.0.1:", 0), 0u) << line;
  EXPECT_NE(line, "svc 127.0.0.1:0") << "the bound port, not the flag's 0";
  std::lock_guard lock(recorded().mu);
  EXPECT_EQ(recorded().deregistered, std::vector<std::string>{line});
}

TEST(App, RegistersAnIpv6HostInBracketsAndPrefersGrpcWhenServingBoth) {
  clear_recorded();
  svckit::App app("both", "both");
  app.serve_http().serve_grpc().register_with({.transport = "grpc"});
  int rc = run_app(app, {"--http-addr", "[::1]:0", "--grpc-addr", "[::1]:0", "--debug-addr", "127.0.0.1:0", "--registry", "rec://r:1"},
                   [] {}, [] { return !only_registered().empty(); });
  EXPECT_EQ(rc, 0);
  const auto line = only_registered();
  EXPECT_EQ(line.rfind("both [::1]:", 0), 0u) << line;
  std::lock_guard lock(recorded().mu);
  EXPECT_EQ(recorded().last_transport, "grpc");
}

TEST(App, AdvertiseOverridesTheListenAddress) {
  clear_recorded();
  svckit::App app("adv", "adv");
  app.serve_http();
  int rc = run_app(app,
                   {"--http-addr", "0.0.0.0:0", "--debug-addr", "127.0.0.1:0", "--registry", "rec://r:1", "--advertise",
                    "10.1.2.3:8080"},
                   [] {}, [] { return !only_registered().empty(); });
  EXPECT_EQ(rc, 0);
  EXPECT_EQ(only_registered(), "adv 10.1.2.3:8080");
}

TEST(App, MainExitsWithTwoAndSaysWhyWhenSetupFailsOrARequiredRegistryIsMissing) {
  {
    svckit::App app("a", "a");
    app.serve_http().require_registry("where to find b");
    const char* argv[] = {"a", "--http-addr", "127.0.0.1:0"};
    testing::internal::CaptureStderr();
    EXPECT_EQ(app.main(3, const_cast<char**>(argv), [] { ADD_FAILURE() << "setup ran without --registry"; }), 2);
    EXPECT_NE(testing::internal::GetCapturedStderr().find("--registry is required (where to find b)"), std::string::npos);
  }
  {
    svckit::App app("a", "a");
    app.serve_http();
    const char* argv[] = {"a", "--http-addr", "127.0.0.1:0"};
    testing::internal::CaptureStderr();
    EXPECT_EQ(app.main(3, const_cast<char**>(argv), [] { throw std::invalid_argument("bad --store"); }), 2);
    EXPECT_NE(testing::internal::GetCapturedStderr().find("error: bad --store"), std::string::npos);
  }
  {
    svckit::App app("a", "a");
    app.serve_http();
    const char* argv[] = {"a"};
    EXPECT_EQ(app.main(1, const_cast<char**>(argv), []() -> std::optional<int> { return 7; }), 7)
        << "a setup may end the process with its own code (a maintenance mode)";
  }
}

// Limits come from flags, for the transports a service serves, and hold on the wire.
TEST(App, ServerLimitsComeFromFlags) {
  svckit::App grpc_only("g", "g");
  grpc_only.serve_grpc();
  const auto text = help_of(grpc_only);
  for (const char* flag : {"--max-message-bytes", "--max-streams", "--max-in-flight"})
    EXPECT_NE(text.find(flag), std::string::npos) << flag << " missing:\n" << text;
  for (const char* flag : {"--max-body-bytes", "--max-connections"}) EXPECT_EQ(text.find(flag), std::string::npos) << flag;

  svckit::App app("lim", "lim");
  app.serve_http();
  const auto port = svckit::test::free_port();
  const std::string addr = "127.0.0.1:" + std::to_string(port);
  int big = 0, fits = 0;
  int rc = run_app(
      app, {"--http-addr", addr.c_str(), "--debug-addr", "127.0.0.1:0", "--max-body-bytes", "16"},
      [&] { app.http().add(svckit::http::Verb::post, "/x", ok()); },
      [&] {
        big = svckit::test::http_call(port, "POST", "/x", std::string(17, 'x')).status;
        fits = svckit::test::http_call(port, "POST", "/x", std::string(16, 'x')).status;
        return fits != 0;
      });
  EXPECT_EQ(rc, 0);
  EXPECT_EQ(big, 413) << "--max-body-bytes 16 let 17 bytes through";
  EXPECT_EQ(fits, 200);
}
