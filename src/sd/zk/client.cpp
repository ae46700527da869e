#include "client.hpp"

#include <zookeeper/zookeeper.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <stdexcept>
#include <thread>

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>

#include "svckit/log.hpp"

namespace svckit::sd::zk {

namespace asio = boost::asio;

std::string error_text(int rc) { return zerror(rc); }

namespace {

// The C client's own log lines (connection refused, server changes) are details under ours: debug level.
void forward_zk_log(const char* message) { log::Logger("zookeeper").debug(message ? message : ""); }

// A session that cannot be opened (a name that does not resolve, authentication refused) is tried again
// after this long.
constexpr auto kReopenDelay = std::chrono::seconds(1);

}  // namespace

struct Client::Impl {
  Options options;
  std::string host_list;  // "h1:p1,h2:p2", as zookeeper_init takes it
  asio::io_context io;
  asio::executor_work_guard<asio::io_context::executor_type> work{io.get_executor()};
  asio::steady_timer reopen_timer{io};
  std::thread thread;
  log::Logger log{"zk"};

  // Client thread only.
  zhandle_t* zh = nullptr;
  bool is_connected = false;
  std::int64_t session_id = 0;  // of the session last connected
  std::vector<std::weak_ptr<Listener>> listeners;

  // The C client calls these on its completion thread; everything is handed to ours.
  static void on_watch(zhandle_t*, int type, int state, const char* path, void* ctx) {
    auto* self = static_cast<Impl*>(ctx);
    asio::post(self->io, [self, type, state, p = std::string(path ? path : "")] { self->handle_watch(type, state, p); });
  }

  void open() {
    zh = zookeeper_init2(host_list.c_str(), &Impl::on_watch, static_cast<int>(options.session_timeout.count()), nullptr,
                         this, 0, &forward_zk_log);
    if (!zh) {
      log.warn("cannot start a ZooKeeper session; trying again", {{"servers", host_list}, {"error", std::strerror(errno)}});
      reopen_later();
      return;
    }
    if (!options.username.empty()) {
      const std::string cert = options.username + ":" + options.password;
      zoo_add_auth(zh, "digest", cert.data(), static_cast<int>(cert.size()), nullptr, nullptr);
    }
  }

  void close() {
    if (zh) zookeeper_close(zh);  // pending completions run (ZCLOSING) and are posted to us before it returns
    zh = nullptr;
    is_connected = false;
  }

  void reopen_later() {
    reopen_timer.expires_after(kReopenDelay);
    reopen_timer.async_wait([this](boost::system::error_code ec) {
      if (!ec && !zh) open();
    });
  }

  template <class F>
  void each_listener(F f) {
    std::erase_if(listeners, [](const auto& w) { return w.expired(); });
    auto copy = listeners;  // a listener may add another
    for (auto& w : copy)
      if (auto l = w.lock()) f(*l);
  }

  void handle_watch(int type, int state, const std::string& path) {
    if (type != ZOO_SESSION_EVENT) {
      each_listener([&](Listener& l) { l.on_node_event(type, path); });
      return;
    }
    if (!zh) return;  // an event of a handle closed since
    if (state == ZOO_CONNECTED_STATE || state == ZOO_READONLY_STATE) {
      const auto* id = zoo_client_id(zh);
      const bool fresh = !id || id->client_id != session_id;
      session_id = id ? id->client_id : 0;
      is_connected = true;
      log.info(fresh ? "ZooKeeper session started" : "ZooKeeper connection restored",
               {{"server", zoo_get_current_server(zh) ? zoo_get_current_server(zh) : ""}});
      each_listener([&](Listener& l) { l.on_connected(fresh); });
    } else if (state == ZOO_EXPIRED_SESSION_STATE || state == ZOO_AUTH_FAILED_STATE) {
      const bool expired = state == ZOO_EXPIRED_SESSION_STATE;
      log.warn(expired ? "ZooKeeper session expired; opening a new one" : "ZooKeeper refused our credentials; trying again",
               {{"servers", host_list}});
      close();
      Status why = expired ? unavailable("zookeeper session expired; opening a new one")
                           : permission_denied("zookeeper refused the credentials");
      each_listener([&](Listener& l) { l.on_disconnected(why); });
      if (expired)
        open();
      else
        reopen_later();
    } else if (is_connected) {  // connecting again: the session lives on until its timeout
      is_connected = false;
      log.warn("ZooKeeper connection lost; reconnecting", {{"servers", host_list}});
      each_listener([&](Listener& l) { l.on_disconnected(unavailable("zookeeper connection lost; reconnecting")); });
    }
  }

  // One pending operation: its callback, handed back to our thread with the results.
  template <class... Args>
  struct Pending {
    Impl* impl;
    std::function<void(int, Args...)> done;
    void finish(int rc, Args... args) {
      asio::post(impl->io, [d = std::move(done), rc, ... a = std::move(args)]() mutable { d(rc, std::move(a)...); });
      delete this;
    }
  };
};

Client::Client(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

std::shared_ptr<Client> Client::create(Options options) {
  if (options.hosts.empty()) throw std::invalid_argument("zk:// needs at least one host:port");
  auto impl = std::make_unique<Impl>();
  for (const auto& h : options.hosts) impl->host_list += (impl->host_list.empty() ? "" : ",") + h;
  impl->options = std::move(options);
  static const bool quiet = [] {
    zoo_set_debug_level(ZOO_LOG_LEVEL_WARN);
    return true;
  }();
  (void)quiet;
  auto* raw = impl.get();
  raw->thread = std::thread([raw] { raw->io.run(); });
  asio::post(raw->io, [raw] { raw->open(); });
  return std::shared_ptr<Client>(new Client(std::move(impl)));
}

Client::~Client() {
  auto* impl = impl_.get();
  asio::post(impl->io, [impl] {
    impl->reopen_timer.cancel();
    impl->close();
    impl->work.reset();
  });
  if (impl->thread.get_id() == std::this_thread::get_id()) {
    // Never expected: users hold the client, and the client's thread holds no user. Not joinable from here.
    impl->log.error("zk client released on its own thread; leaking it");
    impl->thread.detach();
    (void)impl_.release();
    return;
  }
  impl->thread.join();
}

asio::any_io_executor Client::executor() const { return impl_->io.get_executor(); }

void Client::add_listener(std::weak_ptr<Listener> listener) {
  impl_->listeners.push_back(listener);
  if (impl_->is_connected)
    if (auto l = listener.lock()) l->on_connected(true);
}

bool Client::connected() const { return impl_->is_connected; }

namespace {

int not_open() { return ZINVALIDSTATE; }

}  // namespace

void Client::create(const std::string& path, const std::string& data, bool ephemeral_sequential,
                    std::function<void(int, std::string)> done) {
  using P = Impl::Pending<std::string>;
  auto* p = new P{impl_.get(), std::move(done)};
  if (!impl_->zh) return (void)asio::post(impl_->io, [p] { p->finish(not_open(), {}); });
  // With credentials, the node is ours to change and everyone's to read; without, everyone's (go-kit's default).
  ACL acl_items[2] = {{ZOO_PERM_ALL, ZOO_AUTH_IDS}, {ZOO_PERM_READ, ZOO_ANYONE_ID_UNSAFE}};
  ACL_vector owned{2, acl_items};
  const bool mine = ephemeral_sequential && !impl_->options.username.empty();
  int rc = zoo_acreate(
      impl_->zh, path.c_str(), data.data(), static_cast<int>(data.size()), mine ? &owned : &ZOO_OPEN_ACL_UNSAFE,
      ephemeral_sequential ? ZOO_EPHEMERAL_SEQUENTIAL : ZOO_PERSISTENT,
      [](int rc, const char* value, const void* d) { static_cast<P*>(const_cast<void*>(d))->finish(rc, value ? value : ""); }, p);
  if (rc != ZOK) asio::post(impl_->io, [p, rc] { p->finish(rc, {}); });
}

void Client::create_parents(const std::string& path, std::function<void(int)> done) {
  // "/a/b/c" → "/a", then "/a/b"; an ancestor that exists already is fine.
  auto next = path.find('/', 1);
  if (next == std::string::npos) return (void)asio::post(impl_->io, [d = std::move(done)] { d(ZOK); });
  struct Step {
    static void run(Client* c, std::string path, std::size_t at, std::function<void(int)> done) {
      if (at == std::string::npos) return done(ZOK);
      c->create(path.substr(0, at), "", false, [c, path, at, done = std::move(done)](int rc, std::string) mutable {
        if (rc != ZOK && rc != ZNODEEXISTS) return done(rc);
        run(c, path, path.find('/', at + 1), std::move(done));
      });
    }
  };
  Step::run(this, path, next, std::move(done));
}

void Client::remove(const std::string& path, std::function<void(int)> done) {
  using P = Impl::Pending<>;
  auto* p = new P{impl_.get(), std::move(done)};
  if (!impl_->zh) return (void)asio::post(impl_->io, [p] { p->finish(not_open()); });
  int rc = zoo_adelete(impl_->zh, path.c_str(), -1,
                       [](int rc, const void* d) { static_cast<P*>(const_cast<void*>(d))->finish(rc); }, p);
  if (rc != ZOK) asio::post(impl_->io, [p, rc] { p->finish(rc); });
}

void Client::children(const std::string& path, bool watch, std::function<void(int, std::vector<std::string>)> done) {
  using P = Impl::Pending<std::vector<std::string>>;
  auto* p = new P{impl_.get(), std::move(done)};
  if (!impl_->zh) return (void)asio::post(impl_->io, [p] { p->finish(not_open(), {}); });
  int rc = zoo_aget_children(
      impl_->zh, path.c_str(), watch ? 1 : 0,
      [](int rc, const String_vector* names, const void* d) {
        std::vector<std::string> out;
        if (rc == ZOK && names)
          for (int i = 0; i < names->count; ++i) out.emplace_back(names->data[i]);
        static_cast<P*>(const_cast<void*>(d))->finish(rc, std::move(out));
      },
      p);
  if (rc != ZOK) asio::post(impl_->io, [p, rc] { p->finish(rc, {}); });
}

void Client::get(const std::string& path, std::function<void(int, std::string)> done) {
  using P = Impl::Pending<std::string>;
  auto* p = new P{impl_.get(), std::move(done)};
  if (!impl_->zh) return (void)asio::post(impl_->io, [p] { p->finish(not_open(), {}); });
  int rc = zoo_aget(
      impl_->zh, path.c_str(), 0,
      [](int rc, const char* value, int len, const Stat*, const void* d) {
        static_cast<P*>(const_cast<void*>(d))->finish(rc, rc == ZOK && value && len > 0 ? std::string(value, len) : std::string());
      },
      p);
  if (rc != ZOK) asio::post(impl_->io, [p, rc] { p->finish(rc, {}); });
}

void Client::exists(const std::string& path, bool watch, std::function<void(int)> done) {
  using P = Impl::Pending<>;
  auto* p = new P{impl_.get(), std::move(done)};
  if (!impl_->zh) return (void)asio::post(impl_->io, [p] { p->finish(not_open()); });
  int rc = zoo_aexists(impl_->zh, path.c_str(), watch ? 1 : 0,
                       [](int rc, const Stat*, const void* d) { static_cast<P*>(const_cast<void*>(d))->finish(rc); }, p);
  if (rc != ZOK) asio::post(impl_->io, [p, rc] { p->finish(rc); });
}

}  // namespace svckit::sd::zk
