#include "instancer.hpp"

#include <zookeeper/zookeeper.h>

#include <map>
#include <mutex>
#include <optional>

#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>

#include "svckit/log.hpp"

namespace svckit::sd::zk {

namespace asio = boost::asio;

namespace {
// How long subscribers wait for a first answer before they are told ZooKeeper is not reachable (the set
// is empty until then either way).
constexpr auto kFirstAnswerWait = std::chrono::seconds(1);
}  // namespace

// The client's thread reaches the instancer only through this: it never owns the instancer (were it to hold
// the last reference, the instancer — and with it perhaps the client — would be destroyed on the client's own
// thread). The destructor closes the gate, waiting for a publish in progress.
struct Instancer::Gate {
  std::mutex mu;
  Instancer* self = nullptr;
};

// Lives on the client's thread.
struct Instancer::Core final : Client::Listener, std::enable_shared_from_this<Core> {
  Client* client;
  std::string dir;
  std::shared_ptr<Gate> gate;
  log::Logger log;
  std::map<std::string, std::optional<Instance>> known;  // by child name; nullopt: malformed (logged once)
  bool reading = false, read_again = false, ever_read = false;
  asio::steady_timer first_answer;  // ZooKeeper unreachable at start: subscribers hear so after a while

  Core(Client* c, std::string d, std::shared_ptr<Gate> g)
      : client(c),
        dir(std::move(d)),
        gate(std::move(g)),
        log(log::Logger("instancer").with({{"node_dir", dir}})),
        first_answer(c->executor()) {}

  void start() {
    client->add_listener(shared_from_this());  // reads at once if connected, else when the session starts
    first_answer.expires_after(kFirstAnswerWait);
    first_answer.async_wait([weak = weak_from_this()](boost::system::error_code ec) {
      auto self = weak.lock();
      if (!self || ec || self->ever_read) return;
      self->publish([](Instancer& i) { i.set_status(unavailable("zookeeper: not connected yet")); });
    });
  }

  template <class F>
  void publish(F f) {
    std::lock_guard lock(gate->mu);
    if (gate->self) f(*gate->self);
  }

  // Reads the children (re-arming the watch), then the data of each one not seen before, then publishes.
  void read() {
    if (reading) {
      read_again = true;  // a change during a read: read once more when it is done
      return;
    }
    if (!client->connected()) return;  // on_connected reads
    reading = true;
    read_again = false;
    client->children(dir, true, [self = shared_from_this()](int rc, std::vector<std::string> names) {
      if (rc == ZNONODE) {  // no instance has registered yet: empty, and told when the directory appears
        self->client->exists(self->dir, true, [](int) {});
        return self->finish({}, Status());
      }
      if (rc != ZOK) return self->finish({}, unavailable("zookeeper: reading " + self->dir + ": " + error_text(rc)));
      self->fetch(std::move(names));
    });
  }

  void fetch(std::vector<std::string> names) {
    auto left = std::make_shared<std::size_t>(0);
    for (const auto& n : names)
      if (!known.contains(n)) ++*left;
    if (*left == 0) return finish(names, Status());
    for (const auto& n : names) {
      if (known.contains(n)) continue;
      client->get(dir + "/" + n, [self = shared_from_this(), n, names, left](int rc, std::string data) {
        if (rc == ZOK) {
          auto inst = parse_instance(self->dir + "/" + n, data);
          if (!inst.ok()) self->log.warn("skipping malformed registry value", {{"node", n}, {"error", inst.status().message()}});
          self->known[n] = inst.ok() ? std::optional<Instance>(std::move(*inst)) : std::nullopt;
        }  // ZNONODE: gone already; anything else: asked again on the next read
        if (--*left == 0) self->finish(names, Status());
      });
    }
  }

  void finish(const std::vector<std::string>& names, Status status) {
    reading = false;
    ever_read = true;
    if (status.ok()) {
      std::map<std::string, std::optional<Instance>> now;
      std::vector<Instance> all;
      for (const auto& n : names)
        if (auto it = known.find(n); it != known.end()) {
          if (it->second) all.push_back(*it->second);
          now.insert(*it);
        }
      known = std::move(now);
      publish([&](Instancer& i) {
        i.replace_all(std::move(all));
        i.set_status({});
      });
    } else {
      log.warn("cannot read the registry; keeping the last set", {{"error", status.message()}});
      publish([&](Instancer& i) { i.set_status(status); });
    }
    if (read_again) read();
  }

  void on_connected(bool) override { read(); }
  void on_disconnected(const Status& why) override {
    publish([&](Instancer& i) { i.set_status(why); });
  }
  void on_node_event(int type, const std::string& path) override {
    if (path == dir && type != ZOO_NOTWATCHING_EVENT) read();
  }
};

std::shared_ptr<Instancer> Instancer::create(std::shared_ptr<Client> client, std::string dir) {
  auto p = std::make_shared<Instancer>(Private{}, std::move(client));
  p->core_ = std::make_shared<Core>(p->client_.get(), std::move(dir), p->gate_);
  asio::post(p->client_->executor(), [c = p->core_] { c->start(); });
  return p;
}

Instancer::Instancer(Private, std::shared_ptr<Client> client) : client_(std::move(client)), gate_(std::make_shared<Gate>()) {
  gate_->self = this;
}

Instancer::~Instancer() {
  {
    std::lock_guard lock(gate_->mu);
    gate_->self = nullptr;
  }
  asio::post(client_->executor(), [c = core_] { c->first_answer.cancel(); });
}

}  // namespace svckit::sd::zk
