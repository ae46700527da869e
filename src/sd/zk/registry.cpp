#include "svckit/sd/zk/registry.hpp"

#include <zookeeper/zookeeper.h>

#include <algorithm>
#include <charconv>
#include <future>
#include <stdexcept>

#include <boost/asio/post.hpp>

#include "client.hpp"
#include "instancer.hpp"
#include "registrar.hpp"

namespace svckit::sd::zk {

namespace {

// The longest session timeout we ask for; servers clamp it to 2..20 ticks anyway.
constexpr std::int64_t kMaxSessionTimeoutMs = 600'000;

// "/services" from the URL's path: absolute, no empty, "." or ".." parts, no trailing '/'.
std::string root_of(const RegistryUrl& url) {
  std::string root = url.path.empty() ? "/services" : url.path;
  while (root.size() > 1 && root.back() == '/') root.pop_back();
  bool ok = root.size() > 1 && root.front() == '/' && root.find("//") == std::string::npos &&
            std::none_of(root.begin(), root.end(), [](unsigned char c) { return c < 0x20 || c == 0x7f; });
  for (std::string_view part : {"/./", "/../"})
    if ((root + "/").find(part) != std::string::npos) ok = false;
  if (!ok) throw std::invalid_argument("zk:// root \"" + root.substr(0, 64) + "\" is not a ZooKeeper path like /services");
  return root;
}

std::chrono::milliseconds session_timeout_of(const RegistryUrl& url) {
  std::chrono::milliseconds out{10000};
  if (url.query.empty()) return out;
  constexpr std::string_view key = "session_timeout_ms=";
  std::string_view q = url.query;
  std::int64_t ms = 0;
  if (!q.starts_with(key))
    throw std::invalid_argument("zk:// takes one query parameter, session_timeout_ms (not \"" + url.query.substr(0, 64) + "\")");
  q.remove_prefix(key.size());
  auto [end, ec] = std::from_chars(q.data(), q.data() + q.size(), ms);
  if (ec != std::errc() || end != q.data() + q.size() || ms < 1 || ms > kMaxSessionTimeoutMs)
    throw std::invalid_argument("zk:// session_timeout_ms must be an integer 1.." + std::to_string(kMaxSessionTimeoutMs));
  return std::chrono::milliseconds(ms);
}

bool valid_service(std::string_view s) {
  return !s.empty() && s != "." && s != ".." && s.find('/') == std::string_view::npos;
}

class ZkRegistry final : public Registry {
 public:
  explicit ZkRegistry(const RegistryUrl& u)
      : root_(root_of(u)),
        client_(Client::create({.hosts = u.hosts, .username = u.username, .password = u.password,
                                .session_timeout = session_timeout_of(u)})) {}

  std::unique_ptr<sd::Registrar> registrar(std::string_view service, Instance inst, std::chrono::seconds) override {
    return std::make_unique<Registrar>(client_, dir_of(service), std::move(inst));
  }
  std::shared_ptr<sd::Instancer> instancer(std::string_view service) override {
    return Instancer::create(client_, dir_of(service));
  }
  Result<std::vector<std::string>> services(std::chrono::milliseconds timeout) override {
    auto answer = std::make_shared<std::promise<Result<std::vector<std::string>>>>();
    auto got = answer->get_future();
    boost::asio::post(client_->executor(), [c = client_.get(), root = root_, answer] {
      c->children(root, false, [answer, root](int rc, std::vector<std::string> names) {
        if (rc == ZOK || rc == ZNONODE) {
          std::sort(names.begin(), names.end());
          answer->set_value(std::move(names));
        } else {
          answer->set_value(unavailable("zookeeper: reading " + root + ": " + error_text(rc)));
        }
      });
    });
    if (got.wait_for(timeout) != std::future_status::ready) return deadline_exceeded("zookeeper did not answer in time");
    return got.get();
  }

 private:
  std::string dir_of(std::string_view service) const {
    if (!valid_service(service)) throw std::invalid_argument("service name \"" + std::string(service.substr(0, 64)) + "\" cannot be a ZooKeeper node");
    return root_ + "/" + std::string(service);
  }
  std::string root_;
  std::shared_ptr<Client> client_;
};

}  // namespace

std::shared_ptr<Registry> open_registry(const RegistryUrl& url) { return std::make_shared<ZkRegistry>(url); }

}  // namespace svckit::sd::zk
