#include "registrar.hpp"

#include <zookeeper/zookeeper.h>

#include <atomic>
#include <future>
#include <random>

#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>

#include "svckit/log.hpp"

namespace svckit::sd::zk {

namespace asio = boost::asio;

namespace {

// 32 hex digits: what makes our node's name ours (go-kit's "protected" nodes: _c_<guid>-<name>).
std::string new_guid() {
  static thread_local std::mt19937_64 rng{std::random_device{}()};
  static const char* hex = "0123456789abcdef";
  std::string out;
  for (int i = 0; i < 2; ++i) {
    auto v = rng();
    for (int j = 0; j < 16; ++j, v >>= 4) out += hex[v & 15];
  }
  return out;
}

constexpr auto kRetryFirst = std::chrono::milliseconds(200);
constexpr auto kRetryMax = std::chrono::seconds(5);

}  // namespace

// Lives on the client's thread. The node is created as <dir>/_c_<guid>-<addr>-<sequence>: a create whose
// reply is lost to a connection drop may still have happened, so before creating, the directory is searched
// for our guid (as go-kit's CreateProtectedEphemeralSequential does). A new session gets a new guid: nodes of
// the old one are gone with it.
struct Registrar::Core final : Client::Listener, std::enable_shared_from_this<Core> {
  Client* client;
  std::string dir, data, address;
  std::string guid = new_guid();
  std::string node;  // our node's path, "" while there is none
  bool wanted = false, busy = false;
  std::atomic<bool> holds{false};
  std::chrono::milliseconds retry_delay = kRetryFirst;
  asio::steady_timer retry;
  std::function<void(Status)> on_withdrawn;  // a deregister waiting for a create in flight
  log::Logger log;

  Core(Client* c, std::string d, const Instance& inst)
      : client(c), dir(std::move(d)), data(format_instance_value(inst)), address(inst.address), retry(c->executor()),
        log(log::Logger("registrar").with({{"node_dir", dir}, {"addr", inst.address}})) {}

  std::string prefix() const { return dir + "/_c_" + guid + "-" + address + "-"; }

  void ensure() {
    if (!wanted || busy || !node.empty() || !client->connected()) return;
    busy = true;
    client->children(dir, false, [self = shared_from_this()](int rc, std::vector<std::string> names) {
      if (rc == ZOK)
        for (const auto& n : names)
          if ((self->dir + "/" + n).starts_with(self->prefix())) return self->created(ZOK, self->dir + "/" + n);
      if (rc != ZOK && rc != ZNONODE) return self->failed(rc, "listing the service directory");
      self->client->create_parents(self->prefix(), [self](int rc) {
        if (rc != ZOK) return self->failed(rc, "creating the service directory");
        self->client->create(self->prefix(), self->data, true, [self](int rc, std::string path) { self->created(rc, path); });
      });
    });
  }

  void created(int rc, const std::string& path) {
    busy = false;
    if (rc != ZOK) return failed(rc, "creating our node");
    node = path;
    if (!wanted) return withdraw(std::move(on_withdrawn));  // deregistered while the create was in flight
    retry_delay = kRetryFirst;
    holds = true;
    log.info("registered", {{"node", node}});
    client->exists(node, true, [](int) {});  // a delete by hand fires on_node_event
  }

  void failed(int rc, const char* what) {
    busy = false;
    if (!wanted) {
      if (on_withdrawn) std::exchange(on_withdrawn, nullptr)(Status());
      return;
    }
    log.warn("cannot register; trying again", {{"step", what}, {"error", error_text(rc)}});
    // Connection trouble is retried when the session is back (on_connected); anything else after a pause.
    if (rc == ZCONNECTIONLOSS || rc == ZOPERATIONTIMEOUT || rc == ZSESSIONEXPIRED || rc == ZINVALIDSTATE || rc == ZCLOSING) {
      if (client->connected()) ensure();  // reconnected before this answer came: on_connected has been and gone
      return;
    }
    retry.expires_after(retry_delay);
    retry_delay = std::min<std::chrono::milliseconds>(retry_delay * 2, kRetryMax);
    retry.async_wait([weak = weak_from_this()](boost::system::error_code ec) {
      if (auto self = weak.lock(); self && !ec) self->ensure();
    });
  }

  void withdraw(std::function<void(Status)> done) {
    wanted = false;
    retry.cancel();
    if (busy) {  // the create in flight finishes first, then its node goes
      on_withdrawn = std::move(done);
      return;
    }
    holds = false;
    if (node.empty()) {
      if (done) done(Status());
      return;
    }
    client->remove(std::exchange(node, {}), [self = shared_from_this(), done = std::move(done)](int rc) {
      if (rc == ZOK || rc == ZNONODE) self->log.info("deregistered");
      if (done) done(rc == ZOK || rc == ZNONODE ? Status() : unavailable("zookeeper: " + error_text(rc)));
    });
  }

  void on_connected(bool new_session) override {
    if (new_session) {
      if (!node.empty()) log.warn("session replaced: our node went with the old one; registering again", {{"node", node}});
      node.clear();
      holds = false;
      guid = new_guid();
    }
    ensure();
  }
  void on_disconnected(const Status&) override {}  // the node lives as long as the session; expiry says so
  void on_node_event(int type, const std::string& path) override {
    if (path != node || type != ZOO_DELETED_EVENT) return;
    log.warn("our node was deleted; registering again", {{"node", node}});
    node.clear();
    holds = false;
    ensure();
  }
};

Registrar::Registrar(std::shared_ptr<Client> client, std::string dir, Instance instance)
    : client_(std::move(client)), core_(std::make_shared<Core>(client_.get(), std::move(dir), instance)) {
  asio::post(client_->executor(), [c = core_] { c->client->add_listener(c); });
}

Registrar::~Registrar() {
  // Dropped without deregister(): the node goes anyway (no waiting). The core lives until that is done.
  asio::post(client_->executor(), [c = core_] {
    if (c->wanted || !c->node.empty()) c->withdraw(nullptr);
    c->retry.cancel();
  });
}

void Registrar::register_instance() {
  asio::post(client_->executor(), [c = core_] {
    c->wanted = true;
    c->ensure();
  });
}

Status Registrar::deregister(std::chrono::milliseconds timeout) {
  auto done = std::make_shared<std::promise<Status>>();
  auto result = done->get_future();
  asio::post(client_->executor(), [c = core_, done] { c->withdraw([done](Status s) { done->set_value(std::move(s)); }); });
  if (result.wait_for(timeout) != std::future_status::ready)
    return deadline_exceeded("zookeeper did not confirm the deregistration in time; the node goes with the session");
  return result.get();
}

bool Registrar::registered() const { return core_->holds.load(); }

}  // namespace svckit::sd::zk
