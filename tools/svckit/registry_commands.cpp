// svckit ls / svckit watch: reading the registry the way services see it.
#include "registry_commands.hpp"

#include <algorithm>
#include <future>
#include <iomanip>
#include <map>
#include <ostream>
#include <set>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/use_future.hpp>

#include "svckit/sd/etcd/client.hpp"
#include "svckit/sd/etcd/registry.hpp"
#include "svckit/sd/go_micro.hpp"
#include "svckit/sd/instance.hpp"
#include "svckit/sd/registry.hpp"
#include "svckit/status.hpp"
#include "tool_support.hpp"

namespace svckit::cli {

namespace asio = boost::asio;

std::shared_ptr<sd::Registry> open_registry(const std::string& url, std::ostream& err) {
  try {
    return sd::Registry::open(url);
  } catch (const std::invalid_argument& e) {
    err << "error: " << e.what() << "\n";
    return nullptr;
  }
}

std::string describe_metadata(const sd::Instance& i) {
  std::string out;
  auto add = [&](const std::string& k, const std::string& v) {
    if (v.empty()) return;
    out += (out.empty() ? "" : " ") + k + "=" + v;
  };
  add("transport", i.transport);
  add("zone", i.zone);
  add("version", i.version);
  if (i.weight != 1) add("weight", std::to_string(i.weight));
  if (i.tls) add("tls", "true");
  return out;
}

namespace {

struct Row {
  std::string service, address, ttl, metadata;
};

void print_rows(const std::vector<Row>& rows, std::ostream& out) {
  std::size_t w_service = 7, w_address = 8, w_ttl = 3;
  for (const auto& r : rows) {
    w_service = std::max(w_service, r.service.size());
    w_address = std::max(w_address, r.address.size());
    w_ttl = std::max(w_ttl, r.ttl.size());
  }
  auto line = [&](const std::string& s, const std::string& a, const std::string& t, const std::string& m) {
    out << std::left << std::setw(int(w_service)) << s << "  " << std::setw(int(w_address)) << a << "  "
        << std::setw(int(w_ttl)) << t << "  " << m << "\n";
  };
  line("SERVICE", "INSTANCE", "TTL", "METADATA");
  for (const auto& r : rows) line(r.service, r.address, r.ttl, r.metadata);
}

asio::awaitable<int> list_etcd(const sd::RegistryUrl& url, const RegistryFlags& flags, const std::string& service,
                               std::ostream& out, std::ostream& err) {
  auto client = sd::etcd::Client::create({.endpoints = url.hosts,
                                          .username = url.username,
                                          .password = url.password,
                                          .request_timeout = flags.timeout});
  const std::string root = sd::etcd::root_of(url);
  const bool go_micro = sd::etcd::go_micro_format(url);
  std::string prefix = service.empty() ? root : sd::etcd::service_prefix(root, service);
  auto got = co_await client->get_prefix(prefix);
  if (!got.ok()) {
    err << "error: registry " << svckit::sd::redact_url(flags.url) << " unreachable: " << got.status().message() << "\n";
    co_return 1;
  }
  if (got->kvs.empty()) {
    if (service.empty())
      err << "no services registered under " << root << " in " << svckit::sd::redact_url(flags.url) << "\n";
    else
      err << "error: service '" << service << "' has no instances in " << svckit::sd::redact_url(flags.url) << " (nothing under " << prefix
          << ")\n";
    co_return service.empty() ? 0 : 1;
  }
  // Each lease is asked once for its time left (instances of one process often share a lease).
  std::map<std::int64_t, std::string> ttl_of;
  for (const auto& kv : got->kvs) {
    if (kv.lease == 0 || ttl_of.count(kv.lease)) continue;
    auto ttl = co_await client->time_to_live(kv.lease);
    ttl_of[kv.lease] = ttl.ok() ? std::to_string(*ttl) + "s" : "expired";
  }
  std::vector<Row> rows;
  for (const auto& kv : got->kvs) {
    std::string rest = kv.key.substr(root.size());
    auto slash = rest.find('/');
    Row row;
    row.service = slash == std::string::npos ? rest : rest.substr(0, slash);
    row.ttl = kv.lease == 0 ? "-" : ttl_of[kv.lease];
    auto inst = go_micro ? sd::parse_go_micro_instance(kv.key, kv.value) : sd::parse_instance(kv.key, kv.value);
    if (inst.ok()) {
      row.address = inst->address;
      row.metadata = describe_metadata(*inst);
    } else {
      // Listed, not hidden: an operator wants to see the bad value (services skip it and log an error).
      row.address = "?";
      row.metadata = "invalid value " + kv.value + ": " + inst.status().message();
    }
    rows.push_back(std::move(row));
  }
  print_rows(rows, out);
  co_return 0;
}

// The first set an instancer publishes (or its error), waiting at most `timeout`.
Result<std::vector<sd::Instance>> first_set(sd::Instancer& instancer, std::chrono::milliseconds timeout) {
  asio::io_context io;
  // Kept running until the first update or the timeout: a registry that answers later (consul, zk, …) posts
  // nothing before it does.
  auto work = asio::make_work_guard(io);
  std::promise<Result<std::vector<sd::Instance>>> first;
  auto got = first.get_future();
  auto sub = instancer.subscribe(io.get_executor(), [&, done = false](const sd::InstanceUpdate& u) mutable {
    if (done) return;
    done = true;
    if (u.status.ok())
      first.set_value(u.upserts);
    else
      first.set_value(u.status);
    io.stop();
  });
  io.run_for(timeout);
  if (got.wait_for(std::chrono::seconds(0)) != std::future_status::ready) return deadline_exceeded("no answer from the registry");
  return got.get();
}

// Any other scheme, through the Registry interface: the services it names (or the one asked for), each
// with the instances its instancer publishes first. No TTLs: only etcd has leases to ask.
int list_any(const RegistryFlags& flags, const std::string& service, std::ostream& out, std::ostream& err) {
  auto registry = open_registry(flags.url, err);
  if (!registry) return 2;
  const std::string shown = sd::redact_url(flags.url);
  std::vector<std::string> names{service};
  if (service.empty()) {
    auto listed = registry->services(flags.timeout);
    if (!listed.ok()) {
      err << "error: cannot list the services of " << shown << ": " << listed.status().message() << "\n";
      return listed.status().code() == StatusCode::Unimplemented ? 2 : 1;
    }
    names = std::move(*listed);
  }
  std::vector<Row> rows;
  for (const auto& name : names) {
    auto set = first_set(*registry->instancer(name), flags.timeout);
    if (!set.ok()) {
      err << "error: registry " << shown << ": " << set.status().message() << "\n";
      return 1;
    }
    std::sort(set->begin(), set->end(), [](const auto& a, const auto& b) { return a.address < b.address; });
    for (const auto& i : *set) rows.push_back({name, i.address, "-", describe_metadata(i)});
  }
  if (rows.empty()) {
    err << (service.empty() ? "no services in " + shown : "error: service '" + service + "' has no instances in " + shown) << "\n";
    return service.empty() ? 0 : 1;
  }
  print_rows(rows, out);
  return 0;
}

}  // namespace

int list_instances(const RegistryFlags& flags, const std::string& service, std::ostream& out, std::ostream& err) {
  auto url = sd::parse_registry_url(flags.url);
  if (!url.ok()) {
    err << "error: " << url.status().message() << "\n";
    return 2;
  }
  if (url->scheme == "static") {  // nothing to ask: the URL is the list
    std::vector<Row> rows;
    for (const auto& h : url->hosts) rows.push_back({service.empty() ? "*" : service, h, "-", ""});
    print_rows(rows, out);
    return 0;
  }
  if (url->scheme == "etcd") {
    try {
      (void)sd::etcd::go_micro_format(*url);
    } catch (const std::invalid_argument& e) {
      err << "error: " << e.what() << "\n";
      return 2;
    }
    return run_until_done(list_etcd(*url, flags, service, out, err));
  }
  return list_any(flags, service, out, err);
}

int watch_instances(const RegistryFlags& flags, const std::string& service, int max_changes, std::ostream& out,
                    std::ostream& err) {
  auto registry = open_registry(flags.url, err);
  if (!registry) return 2;
  asio::io_context io;
  std::map<std::string, sd::Instance> known;  // by key: a removal only names the key
  int changes = 0;
  bool healthy = true;
  bool listed = false;  // the first set is printed as "present", later ones as changes
  auto instancer = registry->instancer(service);
  asio::signal_set signals(io, SIGINT, SIGTERM);
  signals.async_wait([&](auto ec, int) {
    if (!ec) io.stop();
  });
  auto print = [&](const char* what, const sd::Instance& i) {
    out << timestamp() << "  " << std::left << std::setw(7) << what << "  " << i.address;
    if (auto m = describe_metadata(i); !m.empty()) out << "  " << m;
    out << std::endl;  // a line at a time, for people and pipes alike
  };
  auto sub = instancer->subscribe(io.get_executor(), [&](const sd::InstanceUpdate& u) {
    const bool first = !listed;
    listed = true;
    if (u.reset) {
      for (auto& [key, inst] : known)
        if (std::none_of(u.upserts.begin(), u.upserts.end(), [&](const sd::Instance& i) { return i.key == key; })) {
          print("removed", inst);
          ++changes;
        }
      known.clear();
    }
    for (const auto& i : u.upserts) {
      bool is_new = !known.count(i.key);
      if (first)
        print("present", i);
      else if (is_new || !(known[i.key] == i)) {
        print(is_new ? "added" : "changed", i);
        ++changes;
      }
      known[i.key] = i;
    }
    for (const auto& key : u.removed) {
      auto it = known.find(key);
      if (it == known.end()) continue;
      print("removed", it->second);
      known.erase(it);
      ++changes;
    }
    if (!u.status.ok() && healthy) {
      out << timestamp() << "  error    " << u.status.message() << " (showing the last known set)" << std::endl;
      healthy = false;
    } else if (u.status.ok() && !healthy) {
      out << timestamp() << "  restored registry reachable again" << std::endl;
      healthy = true;
    }
    if (first && u.upserts.empty()) out << timestamp() << "  (no instances of " << service << " yet)" << std::endl;
    if (max_changes > 0 && changes >= max_changes) io.stop();
  });
  io.run();
  return 0;
}

}  // namespace svckit::cli
