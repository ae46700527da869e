#include "svckit/sd/dns/registry.hpp"

#include <cctype>
#include <stdexcept>
#include <thread>

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>

#include "../read_only_registrar.hpp"
#include "srv_instancer.hpp"

namespace svckit::sd::dns {

namespace asio = boost::asio;

namespace {

// The registry's thread: every lookup of its instancers runs there. Lookups in flight when it goes are
// dropped (stop, not drain: a DNS question may take two seconds to time out).
struct LookupThread {
  asio::io_context io;
  asio::executor_work_guard<asio::io_context::executor_type> work{io.get_executor()};
  std::thread thread{[this] { io.run(); }};
  ~LookupThread() {
    work.reset();
    io.stop();
    thread.join();
  }
};

class DnsRegistry final : public Registry {
 public:
  DnsRegistry(std::string name, std::string resolver)
      : name_(std::move(name)), resolver_(std::move(resolver)), thread_(std::make_shared<LookupThread>()) {
    (void)make_query(0, srv_name("probe"), RecordType::srv);  // throws now for a name DNS cannot carry
    Resolver check(thread_->io.get_executor(), resolver_);     // and for a resolver that is not ip:port
  }
  std::unique_ptr<Registrar> registrar(std::string_view service, Instance inst, std::chrono::seconds) override {
    return std::make_unique<detail::ReadOnlyRegistrar>(std::string(service), inst.address, "dns+srv://" + srv_name(service));
  }
  std::shared_ptr<Instancer> instancer(std::string_view service) override {
    return SrvInstancer::create(thread_, thread_->io.get_executor(), resolver_, srv_name(service));
  }

 private:
  // A full SRV name (it starts with '_') is every service's; a domain gives each service its own.
  std::string srv_name(std::string_view service) const {
    if (name_.front() == '_') return name_;
    if (service.empty() || service.size() > 62 || service.find('.') != std::string_view::npos)
      throw std::invalid_argument("service name \"" + std::string(service.substr(0, 64)) + "\" cannot be a DNS label");
    return "_" + std::string(service) + "._tcp." + name_;
  }
  std::string name_, resolver_;
  std::shared_ptr<LookupThread> thread_;
};

}  // namespace

std::shared_ptr<Registry> open_registry(const RegistryUrl& url) {
  std::string resolver;
  if (!url.query.empty()) {
    if (!url.query.starts_with("resolver=") || url.query.find('&') != std::string::npos)
      throw std::invalid_argument("dns+srv:// takes one query parameter, resolver=ip:port (not \"" + url.query.substr(0, 64) + "\")");
    resolver = url.query.substr(9);
  }
  if (resolver.empty()) resolver = system_resolver();
  std::string name = url.path;
  while (!name.empty() && name.back() == '.') name.pop_back();
  if (name.empty()) throw std::invalid_argument("dns+srv:// needs a domain or an SRV name: dns+srv://example.internal");
  for (unsigned char c : name)
    if (!std::isalnum(c) && c != '-' && c != '_' && c != '.')
      throw std::invalid_argument("dns+srv:// name \"" + name.substr(0, 64) + "\" has a character DNS names do not: letters, digits, '-', '_' and '.' only");
  return std::make_shared<DnsRegistry>(std::move(name), std::move(resolver));
}

}  // namespace svckit::sd::dns
