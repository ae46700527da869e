// Plug-ins from outside the library: a registry scheme and a balancer defined in this file, registered by
// name, then used by name through Registry::open and the generated client (greeter.proto), exactly as
// a backend or balancer of a user's own would be.
#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <map>
#include <mutex>

#include "generator/greeter_service.hpp"
#include "support/run.hpp"
#include "svckit/io_pool.hpp"
#include "svckit/sd/balancer.hpp"
#include "svckit/sd/registry.hpp"
#include "svckit/sd/static_instancer.hpp"
#include "svckit/transport/grpc/server.hpp"

namespace {

using namespace std::chrono_literals;
namespace sd = svckit::sd;

// A registry held in this process's memory ("mem://any:1"): registering puts an instance in a list that
// the service's instancer publishes. Every URL of the scheme opens the same one.
class MemRegistry final : public sd::Registry {
 public:
  std::unique_ptr<sd::Registrar> registrar(std::string_view service, sd::Instance inst, std::chrono::seconds) override {
    inst.key = std::string(service) + "/" + inst.address;
    return std::make_unique<MemRegistrar>(*this, std::string(service), std::move(inst));
  }
  std::shared_ptr<sd::Instancer> instancer(std::string_view service) override { return of(std::string(service)).instancer; }

 private:
  struct Service {
    std::shared_ptr<sd::StaticInstancer> instancer = sd::StaticInstancer::create(std::vector<sd::Instance>{});
    std::map<std::string, sd::Instance> instances;
  };
  struct MemRegistrar final : sd::Registrar {
    MemRegistrar(MemRegistry& r, std::string service, sd::Instance inst) : reg(r), service(std::move(service)), inst(std::move(inst)) {}
    void register_instance() override { reg.change(service, inst, true); }
    svckit::Status deregister(std::chrono::milliseconds) override {
      reg.change(service, inst, false);
      return {};
    }
    bool registered() const override { return true; }
    MemRegistry& reg;
    std::string service;
    sd::Instance inst;
  };
  Service& of(const std::string& service) {
    std::lock_guard lock(mu_);
    return services_[service];
  }
  void change(const std::string& service, const sd::Instance& inst, bool present) {
    auto& s = of(service);
    std::vector<sd::Instance> now;
    {
      std::lock_guard lock(mu_);
      if (present)
        s.instances[inst.key] = inst;
      else
        s.instances.erase(inst.key);
      for (const auto& [k, i] : s.instances) now.push_back(i);
    }
    s.instancer->set(std::move(now));
  }
  std::mutex mu_;
  std::map<std::string, Service> services_;  // nodes never move: references stay valid
};

// Always the usable target with the lowest address; counts every call outcome it is told of.
struct Feedback {
  std::atomic<int> ok{0}, failed{0};
  std::atomic<svckit::StatusCode> last{svckit::StatusCode::Ok};
};
Feedback& feedback() {
  static Feedback f;
  return f;
}
class LowestAddressBalancer final : public sd::Balancer {
 public:
  std::string_view name() const override { return "lowest"; }
  sd::Target* pick(const sd::TargetSet& set, const sd::PickOptions&) override {
    sd::Target* best = nullptr;
    for (const auto& t : set.targets)
      if (t->usable() && (!best || t->instance().address < best->instance().address)) best = t.get();
    return best;
  }
  void feedback(sd::Target&, const sd::CallOutcome& o) override {
    (o.code == svckit::StatusCode::Ok ? ::feedback().ok : ::feedback().failed)++;
    ::feedback().last = o.code;
  }
};

[[maybe_unused]] const bool kMemRegistered =
    sd::register_registry("mem", [](const sd::RegistryUrl&) -> std::shared_ptr<sd::Registry> {
      static auto shared = std::make_shared<MemRegistry>();
      return shared;
    });
[[maybe_unused]] const bool kLowestRegistered =
    sd::register_balancer("lowest", [] { return std::make_unique<LowestAddressBalancer>(); });

struct Greeter {
  Greeter(svckit::IoPool& io, std::string name) : svc(std::make_shared<greeter::GreeterService>(std::move(name))) {
    server = std::make_shared<svckit::grpc::Server>(io, svckit::grpc::ServerOptions{.address = "127.0.0.1:0"});
    greeter::add_grpc_methods(*server, greeter::make_endpoints(svc));
    server->start();
  }
  ~Greeter() { server->shutdown(std::chrono::steady_clock::now() + 2s); }
  std::string address() const { return "127.0.0.1:" + std::to_string(server->port()); }
  std::shared_ptr<greeter::GreeterService> svc;
  std::shared_ptr<svckit::grpc::Server> server;
};

TEST(Plugins, ARegistrySchemeAndABalancerFromOutsideTheLibraryAreUsedByName) {
  auto schemes = sd::registry_schemes();
  EXPECT_NE(std::find(schemes.begin(), schemes.end(), "mem"), schemes.end());
  auto balancers = sd::balancer_names();
  EXPECT_NE(std::find(balancers.begin(), balancers.end(), "lowest"), balancers.end());

  svckit::IoPool io(2);
  io.start();
  {
    Greeter a(io, "a"), b(io, "b");
    auto registry = sd::Registry::open("mem://local:1");
    auto reg_a = registry->registrar(greeter::kServiceName, {.address = a.address()}, 10s);
    auto reg_b = registry->registrar(greeter::kServiceName, {.address = b.address()}, 10s);
    reg_a->register_instance();
    reg_b->register_instance();

    greeter::Client client(registry, io.next().get_executor(), {.balancer = "lowest"});
    greeter::HelloRequest hello;
    hello.set_name("ed");
    const int ok_before = feedback().ok;
    for (int i = 0; i < 10; ++i) {
      svckit::Context ctx;
      ctx.set_timeout(5s);
      auto r = svckit::test::run_on(io.next().get_executor(), client.say_hello(ctx, hello));
      ASSERT_TRUE(r.ok()) << r.status();
    }
    auto& lowest = a.address() < b.address() ? a : b;
    auto& other = &lowest == &a ? b : a;
    EXPECT_EQ(lowest.svc->calls(), 10) << "every call went where the registered balancer chose";
    EXPECT_EQ(other.svc->calls(), 0);
    EXPECT_EQ(feedback().ok - ok_before, 10) << "the balancer heard of every call";

    const int failed_before = feedback().failed;
    svckit::Context ctx;
    ctx.set_timeout(5s);
    auto later = svckit::test::run_on(io.next().get_executor(), client.later(ctx, hello));
    ASSERT_FALSE(later.ok());
    EXPECT_EQ(feedback().failed - failed_before, 1);
    EXPECT_EQ(feedback().last.load(), svckit::StatusCode::Unimplemented);

    // The instance the registry drops is no longer picked.
    ASSERT_TRUE((&lowest == &a ? reg_a : reg_b)->deregister(1s).ok());
    ASSERT_TRUE(svckit::test::wait_until([&] {
      svckit::Context c;
      c.set_timeout(5s);
      return svckit::test::run_on(io.next().get_executor(), client.say_hello(c, hello)).ok() && other.svc->calls() > 0;
    }));
  }
  io.stop();
  io.join();
}

TEST(Plugins, NamesAreUniqueAndWellFormedAndUnknownOnesListTheKnown) {
  EXPECT_THROW(sd::register_registry("mem", [](const sd::RegistryUrl&) { return std::shared_ptr<sd::Registry>(); }),
               std::invalid_argument);
  EXPECT_THROW(sd::register_registry("etcd", [](const sd::RegistryUrl&) { return std::shared_ptr<sd::Registry>(); }),
               std::invalid_argument)
      << "a plug-in must not replace a built-in";
  EXPECT_THROW(sd::register_balancer("Not A Name", [] { return std::make_unique<LowestAddressBalancer>(); }),
               std::invalid_argument);
  EXPECT_THROW(sd::register_balancer("", [] { return std::make_unique<LowestAddressBalancer>(); }), std::invalid_argument);
  try {
    sd::Registry::open("nosuch://h:1");
    ADD_FAILURE() << "an unknown scheme opened";
  } catch (const std::invalid_argument& e) {
    const std::string what = e.what();
    for (const char* known : {"etcd", "static", "mem"}) EXPECT_NE(what.find(known), std::string::npos) << what;
  }
  try {
    sd::make_balancer("nosuch");
    ADD_FAILURE() << "an unknown balancer was made";
  } catch (const std::invalid_argument& e) {
    EXPECT_NE(std::string(e.what()).find("lowest"), std::string::npos) << e.what();
  }
  // A factory's own refusal reaches the caller.
  EXPECT_THROW(sd::Registry::open("static://h:1/path"), std::invalid_argument);
  EXPECT_THROW(sd::Registry::open("etcd://h:1?x=1"), std::invalid_argument);
}

}  // namespace
