// Propagation: from the registry acknowledging a write (an instance added or removed) to the balancer's
// target set reflecting it, for each backend in the same run:
//   etcd  Put/Delete acknowledged by etcd; a second client's Instancer → Endpointer sees it (watch)
//   zk    a node created/deleted, acknowledged by ZooKeeper; a second session's child watch sees it
//   file  the instances file replaced (rename returned); the file registry's inotify watch sees it
//   consul  a service registered/deregistered with the agent (the test suite's STAND-IN agent: Debian has no
//           Consul), acknowledged by its 200; an instancer's blocking query returns with it
//   eureka  an instance registered/deleted (the tests' STAND-IN server), acknowledged by its answer; an
//           instancer polling every 100 ms sees it (Eureka has no watch: poll/2 on average)
//   nacos   the same with the tests' Nacos STAND-IN and its naming API
//   dns     SRV records changed: a real dnsmasq restarted with the new set (it reads SRV records only at start),
//           acknowledged once it answers again; an instancer looking the name up again at the record's 1 s TTL
//           sees it (DNS has no push: TTL/2 on average, by design)
// Prints one line per figure; bench/run_sd.sh appends them to bench/RESULTS.md.
//   sd_propagation [TRIALS] [BACKEND…]       (default 20 trials, every backend)
#include <algorithm>
#include <condition_variable>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <future>
#include <map>
#include <random>
#include <thread>

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <zookeeper/zookeeper.h>

#include "sd/zk/client.hpp"
#include "support/consul.hpp"
#include "support/dnsmasq.hpp"
#include "support/etcd.hpp"
#include "support/rest_standin.hpp"
#include "support/run.hpp"
#include "support/zookeeper.hpp"
#include "svckit/sd/endpointer.hpp"
#include "svckit/sd/etcd/instancer.hpp"
#include "svckit/sd/registry.hpp"
#include "svckit/transport/http/client.hpp"

namespace sd = svckit::sd;
using Clock = std::chrono::steady_clock;

namespace {

// One registry under test: how to add and remove an instance (returning once the registry acknowledged it),
// and the instancer a client would watch.
struct Backend {
  std::string name;
  std::function<void(const std::string& addr)> add, remove;
  std::shared_ptr<sd::Instancer> instancer;
  // A polled registry: each write waits a random part of the poll interval first, or every trial would start
  // right after a poll and measure nearly the whole interval.
  std::chrono::milliseconds poll{0};
};

// Times write → balancer for one backend.
std::pair<std::vector<double>, std::vector<double>> measure(Backend& b, int trials) {
  boost::asio::io_context io(1);
  auto work = boost::asio::make_work_guard(io);
  std::thread t([&] { io.run(); });
  // The moment the Endpointer applies a change to an address: its factory runs when the instance appears,
  // and the endpoint it made is destroyed when the instance leaves. Waiting on the address itself (not on
  // "some change") keeps a late effect of one trial from counting for the next. No spinning.
  std::mutex mu;
  std::condition_variable cv;
  std::map<std::string, Clock::time_point> added, removed;
  auto endpointer = sd::Endpointer<int, int>::create(
      b.instancer,
      [&](const sd::Instance& inst) -> svckit::Result<svckit::Endpoint<int, int>> {
        {
          std::lock_guard lock(mu);
          added[inst.address] = Clock::now();
        }
        cv.notify_all();
        std::shared_ptr<void> guard(nullptr, [&, a = inst.address](void*) {
          {
            std::lock_guard lock(mu);
            removed[a] = Clock::now();
          }
          cv.notify_all();
        });
        return svckit::Endpoint<int, int>([guard](const svckit::Context&, const int& x) -> boost::asio::awaitable<svckit::Result<int>> { co_return x; });
      },
      sd::make_balancer("round_robin"), io.get_executor());
  svckit::test::wait_until([&] { return endpointer->initialized(); }, std::chrono::seconds(10));
  // Runs `change` on `addr` and returns the microseconds from its acknowledgement to the balancer applying it.
  std::mt19937 random(42);
  auto once = [&](bool add, const std::string& addr) {
    if (b.poll.count() > 0) std::this_thread::sleep_for(std::chrono::milliseconds(random() % b.poll.count()));
    (add ? b.add : b.remove)(addr);
    auto acked = Clock::now();
    auto& when = add ? added : removed;
    std::unique_lock lock(mu);
    if (!cv.wait_for(lock, std::chrono::seconds(5), [&] { return when.contains(addr); }))
      throw std::runtime_error(b.name + ": change never arrived (" + (add ? "add " : "remove ") + addr + ")");
    // The event may beat the acknowledgement back to us: that counts as zero.
    return std::max(0.0, std::chrono::duration<double, std::micro>(when[addr] - acked).count());
  };
  // Warm-up: watches are set up asynchronously after the first read; wait until one delivers.
  (void)once(true, "10.9.9.9:1");
  (void)once(false, "10.9.9.9:1");
  std::vector<double> put_us, del_us;
  for (int i = 0; i < trials; ++i) {
    const std::string addr = "10.1.0." + std::to_string(i) + ":80";
    put_us.push_back(once(true, addr));
    del_us.push_back(once(false, addr));
  }
  endpointer.reset();
  work.reset();
  t.join();
  return {put_us, del_us};
}

void report(const std::string& backend, const char* what, std::vector<double> v) {
  std::sort(v.begin(), v.end());
  auto pct = [&](double p) { return v[std::min(v.size() - 1, static_cast<std::size_t>(p * static_cast<double>(v.size())))]; };
  std::printf("propagation %-6s %-6s trials=%zu p50=%.3f ms p99=%.3f ms max=%.3f ms\n", backend.c_str(), what, v.size(),
              pct(0.5) / 1000, pct(0.99) / 1000, v.back() / 1000);
  std::fflush(stdout);
}

void run(Backend b, int trials) {
  auto [put_us, del_us] = measure(b, trials);
  std::vector<double> all = put_us;
  all.insert(all.end(), del_us.begin(), del_us.end());
  report(b.name, "put", put_us);
  report(b.name, "delete", del_us);
  report(b.name, "all", all);
}

void bench_etcd(int trials) {
  svckit::test::EtcdCluster etcd(1);
  auto writer = sd::etcd::Client::create({.endpoints = etcd.endpoints()});
  auto watcher = sd::etcd::Client::create({.endpoints = etcd.endpoints()});
  auto check = [](const svckit::Status& s) {
    if (!s.ok()) throw std::runtime_error(s.message());
  };
  run({"etcd",
       [&](const std::string& a) { check(svckit::test::run_sync(writer->put("/services/bench/" + a, a)).status()); },
       [&](const std::string& a) { check(svckit::test::run_sync(writer->erase("/services/bench/" + a)).status()); },
       sd::etcd::Instancer::create(watcher, "/services/bench/")},
      trials);
}

void bench_zk(int trials) {
  svckit::test::ZooKeeper zk(1);
  auto writer = sd::zk::Client::create({.hosts = {zk.server(0).endpoint()}});
  // Runs one operation on the writer's thread and waits for ZooKeeper's answer.
  auto call = [&](auto op) {
    auto done = std::make_shared<std::promise<int>>();
    auto rc = done->get_future();
    boost::asio::post(writer->executor(), [&, done] { op([done](int r) { done->set_value(r); }); });
    if (rc.wait_for(std::chrono::seconds(10)) != std::future_status::ready) throw std::runtime_error("zk: no answer");
    return rc.get();
  };
  svckit::test::wait_until([&] { return call([&](auto d) { writer->exists("/", false, d); }) == ZOK; }, std::chrono::seconds(10));
  call([&](auto d) { writer->create_parents("/services/bench/x", d); });
  call([&](auto d) { writer->create("/services/bench", "", false, [d](int r, std::string) { d(r); }); });
  auto registry = sd::Registry::open(zk.url());
  run({"zk",
       [&](const std::string& a) {
         if (int r = call([&](auto d) { writer->create("/services/bench/" + a, a, false, [d](int r, std::string) { d(r); }); }); r != ZOK)
           throw std::runtime_error("zk create: " + sd::zk::error_text(r));
       },
       [&](const std::string& a) {
         if (int r = call([&](auto d) { writer->remove("/services/bench/" + a, d); }); r != ZOK)
           throw std::runtime_error("zk delete: " + sd::zk::error_text(r));
       },
       registry->instancer("bench")},
      trials);
}

void bench_file(int trials) {
  char tmpl[] = "/tmp/svckit-propagation-XXXXXX";
  const std::filesystem::path dir = mkdtemp(tmpl);
  const auto file = dir / "instances.json";
  std::vector<std::string> listed;
  // Writes the whole list beside the file and renames it over, as configuration tools do.
  auto write = [&] {
    std::string json = R"({"bench": [)";
    for (std::size_t i = 0; i < listed.size(); ++i) json += (i ? ",\"" : "\"") + listed[i] + "\"";
    json += "]}";
    std::ofstream(dir / "next.json", std::ios::trunc) << json;
    std::filesystem::rename(dir / "next.json", file);
  };
  write();
  auto registry = sd::Registry::open("file://" + file.string());
  run({"file",
       [&](const std::string& a) {
         listed.push_back(a);
         write();
       },
       [&](const std::string& a) {
         std::erase(listed, a);
         write();
       },
       registry->instancer("bench")},
      trials);
  std::filesystem::remove_all(dir);
}

void bench_consul(int trials) {
  svckit::test::ConsulStandIn consul;
  // One agent call, acknowledged by its answer (a client per call: its connection belongs to run_sync's
  // io_context, which ends with the call).
  auto put = [&](const std::string& target, const std::string& body) {
    auto r = svckit::test::run_sync([&]() -> boost::asio::awaitable<svckit::Result<svckit::http::Response>> {
      svckit::http::Client writer("127.0.0.1", consul.port());
      co_return co_await writer.request(svckit::Context(), svckit::http::Verb::put, target, body);
    }());
    if (!r.ok() || r->result_int() != 200) throw std::runtime_error("consul: " + (r.ok() ? std::string(r->body()) : r.status().message()));
  };
  auto registry = sd::Registry::open(consul.url());
  run({"consul",
       [&](const std::string& a) {
         auto colon = a.rfind(':');
         put("/v1/agent/service/register", R"({"ID":"bench-)" + a + R"(","Name":"bench","Address":")" + a.substr(0, colon) +
                                               R"(","Port":)" + a.substr(colon + 1) + "}");
       },
       [&](const std::string& a) { put("/v1/agent/service/deregister/bench-" + a, ""); },
       registry->instancer("bench")},
      trials);
}

// Eureka and Nacos: writes through the stand-in's own API (curl, acknowledged by its answer), read by an
// instancer polling every 100 ms.
void bench_polled(const std::string& scheme, int trials) {
  svckit::test::RestStandIn server(scheme);
  const bool eureka = scheme == "eureka";
  auto registry = sd::Registry::open(server.url(eureka ? "/eureka?poll=100ms" : "?poll=100ms"));
  auto where = [](const std::string& a) {
    auto colon = a.rfind(':');
    return std::make_pair(a.substr(0, colon), a.substr(colon + 1));
  };
  auto add = [&](const std::string& a) {
    auto [host, port] = where(a);
    if (eureka)
      server.request("POST", "/eureka/apps/BENCH", R"({"instance":{"instanceId":")" + a + R"(","hostName":")" + host + R"(","app":"BENCH","ipAddr":")" +
                                                       host + R"(","status":"UP","port":{"$":)" + port +
                                                       R"(,"@enabled":"true"},"dataCenterInfo":{"name":"MyOwn"}}})");
    else
      server.request("POST", "/nacos/v1/ns/instance?serviceName=DEFAULT_GROUP@@bench&ip=" + host + "&port=" + port);
  };
  auto remove = [&](const std::string& a) {
    auto [host, port] = where(a);
    if (eureka)
      server.request("DELETE", "/eureka/apps/BENCH/" + a);
    else
      server.request("DELETE", "/nacos/v1/ns/instance?serviceName=DEFAULT_GROUP@@bench&ip=" + host + "&port=" + port);
  };
  run({scheme, add, remove, registry->instancer("bench"), std::chrono::milliseconds(100)}, trials);
}

// DNS: each change restarts dnsmasq with the whole set as SRV records (1 s TTL) whose targets have A records.
void bench_dns(int trials) {
  std::vector<std::string> listed;
  auto records = [&] {
    std::vector<std::string> r;
    for (const auto& a : listed) {
      auto colon = a.rfind(':');
      const std::string ip = a.substr(0, colon);
      std::string label = ip;
      std::replace(label.begin(), label.end(), '.', '-');
      const std::string host = "h-" + label + ".example.internal";  // 10.1.0.3 → h-10-1-0-3.example.internal
      r.push_back("--srv-host=_bench._tcp.example.internal," + host + "," + a.substr(colon + 1) + ",0,1");
      r.push_back("--host-record=" + host + "," + ip);
    }
    return r;
  };
  svckit::test::Dnsmasq dns(records());
  auto registry = sd::Registry::open("dns+srv://example.internal?resolver=" + dns.address());
  run({"dns",
       [&](const std::string& a) {
         listed.push_back(a);
         dns.restart(records());
       },
       [&](const std::string& a) {
         std::erase(listed, a);
         dns.restart(records());
       },
       registry->instancer("bench"), std::chrono::milliseconds(1000)},
      trials);
}

}  // namespace

int main(int argc, char** argv) {
  int trials = argc > 1 ? std::atoi(argv[1]) : 20;
  std::vector<std::string> backends;
  for (int i = 2; i < argc; ++i) backends.emplace_back(argv[i]);
  if (backends.empty()) backends = {"etcd", "zk", "file", "consul", "eureka", "nacos", "dns"};
  svckit::log::configure(std::getenv("SVCKIT_BENCH_VERBOSE") ? svckit::log::Level::Debug : svckit::log::Level::Warn,
                         svckit::log::Format::Logfmt);
  for (const auto& b : backends) {
    if (b == "etcd")
      bench_etcd(trials);
    else if (b == "zk")
      bench_zk(trials);
    else if (b == "file")
      bench_file(trials);
    else if (b == "consul")
      bench_consul(trials);
    else if (b == "eureka" || b == "nacos")
      bench_polled(b, trials);
    else if (b == "dns")
      bench_dns(trials);
    else {
      std::fprintf(stderr, "unknown backend %s (etcd, zk, file, consul, eureka, nacos, dns)\n", b.c_str());
      return 2;
    }
  }
}
