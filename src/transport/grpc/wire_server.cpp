#include "svckit/transport/grpc/wire_server.hpp"

#include <condition_variable>
#include <mutex>
#include <unordered_set>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>

#include "svckit/address.hpp"
#include "../../tls/ssl_context.hpp"
#include "../listen_on_every_thread.hpp"
#include "wire/health_service.hpp"
#include "wire/server_connection.hpp"

namespace svckit::grpc {

namespace asio = boost::asio;
using tcp = asio::ip::tcp;

// Everything on one io thread: its acceptor and its connections (touched only from that thread).
struct Lane {
  asio::io_context* io = nullptr;
  std::unique_ptr<tcp::acceptor> acceptor;
  std::unordered_set<std::shared_ptr<wire::ServerConnection>> connections;
};

struct WireServer::State : std::enable_shared_from_this<WireServer::State> {
  std::shared_ptr<wire::ServerShared> shared = std::make_shared<wire::ServerShared>();
  std::vector<Lane> lanes;
  std::atomic<std::uint16_t> port{0};
  bool started = false;  // set by start(): the method table is fixed from then on
  std::atomic<bool> draining{false};
  std::shared_ptr<wire::HealthService> health;
  std::atomic<std::size_t> loops{0};  // accept loops and connections still running
  std::mutex mu;
  std::condition_variable cv;

  void loop_ended() {
    if (loops.fetch_sub(1) == 1) {
      std::lock_guard lock(mu);
      cv.notify_all();
    }
  }

  asio::awaitable<void> accept_loop(Lane& lane) {
    auto self = shared_from_this();
    for (;;) {
      boost::system::error_code ec;
      tcp::socket sock = co_await lane.acceptor->async_accept(asio::redirect_error(asio::use_awaitable, ec));
      if (ec) {
        if (ec == asio::error::operation_aborted || draining || !lane.acceptor->is_open()) break;
        shared->log.warn("accept failed", {{"error", ec.message()}});  // EMFILE and friends: pause, go on
        asio::steady_timer pause(*lane.io, std::chrono::milliseconds(50));
        co_await pause.async_wait(asio::redirect_error(asio::use_awaitable, ec));
        continue;
      }
      const auto cap = static_cast<std::size_t>(shared->opts.max_connections);
      if (cap > 0 && shared->connections.load() >= cap) {
        boost::system::error_code ignored;
        sock.close(ignored);
        continue;
      }
      sock.set_option(tcp::no_delay(true));
      auto conn = std::make_shared<wire::ServerConnection>(shared, std::move(sock));
      lane.connections.insert(conn);
      loops.fetch_add(1);
      asio::co_spawn(*lane.io, conn->run(), [self, &lane, conn](std::exception_ptr) {
        lane.connections.erase(conn);
        self->loop_ended();
      });
    }
    loop_ended();
  }

  // Runs fn on every lane's thread and waits (until deadline) for all of them.
  template <class F>
  void on_each_lane(std::chrono::steady_clock::time_point deadline, F fn) {
    auto pending = std::make_shared<std::atomic<std::size_t>>(lanes.size());
    for (auto& lane : lanes)
      asio::post(*lane.io, [self = shared_from_this(), &lane, fn, pending] {
        fn(lane);
        if (pending->fetch_sub(1) == 1) {
          std::lock_guard lock(self->mu);
          self->cv.notify_all();
        }
      });
    std::unique_lock lock(mu);
    cv.wait_until(lock, deadline, [&] { return pending->load() == 0; });
  }
};

WireServer::WireServer(IoPool& io, WireServerOptions opts) : state_(std::make_shared<State>()) {
  state_->shared->opts = std::move(opts);
  state_->shared->shed = &metrics::default_registry()
                              .counter("svckit_requests_shed_total", "Requests refused by admission control (max_in_flight), by transport.",
                                       {"transport"})
                              .with({"grpc"});
  state_->shared->dropped_headers =
      &metrics::default_registry()
           .counter("svckit_headers_dropped_total",
                    "Request headers not carried into the Context: not valid metadata (svckit/metadata.hpp).", {"transport"})
           .with({"grpc"});
  if (const auto& creds = state_->shared->opts.tls) {
    state_->shared->tls.emplace(tls::detail::server_context(*creds));
    wire::select_h2(*state_->shared->tls);
    state_->shared->handshake_failures =
        &metrics::default_registry()
             .counter("svckit_tls_handshake_failures_total", "TLS handshakes a server refused or that failed.", {"transport"})
             .with({"grpc"});
  }
  state_->health = std::make_shared<wire::HealthService>(state_->shared->opts.max_watch_streams, state_->shared->shed);
  for (std::size_t i = 0; i < io.size(); ++i) state_->lanes.push_back(Lane{&io.context(i), nullptr, {}});
}

WireServer::~WireServer() = default;

namespace {
constexpr std::string_view kHealthService = "/grpc.health.v1.Health/";

void add_method(WireServer::State& st, std::string full_method, wire::WireMethod method) {
  // Connections read the table without a lock once started: no change after that.
  if (st.started) throw std::logic_error("grpc::WireServer::add after start: " + full_method);
  auto& methods = st.shared->methods;
  if (methods.contains(full_method)) throw std::invalid_argument("grpc method added twice: " + full_method);
  methods.emplace(std::move(full_method), std::move(method));
}

// grpc.health.v1.Health for "" and each service with methods, unless the user serves it.
void add_health(WireServer::State& st) {
  auto& methods = st.shared->methods;
  for (const auto& [name, _] : methods)
    if (name.starts_with(kHealthService)) return;
  st.health->declare("");
  for (const auto& [name, _] : methods) st.health->declare(name.substr(1, name.rfind('/') - 1));  // "/pkg.Svc/M"
  methods.emplace(std::string(kHealthService) + "Check", wire::WireMethod{.unary = st.health->check(), .traced = false});
  methods.emplace(std::string(kHealthService) + "Watch", wire::WireMethod{.stream = st.health->watch(), .traced = false});
}
}  // namespace

void WireServer::add_raw(std::string full_method, WireHandler handler) {
  add_method(*state_, std::move(full_method), wire::WireMethod{.unary = std::move(handler)});
}

void WireServer::add_server_stream(std::string full_method, WireStreamHandler handler) {
  add_method(*state_, std::move(full_method), wire::WireMethod{.stream = std::move(handler)});
}

void WireServer::add_bidi_stream(std::string full_method, WireBidiHandler handler) {
  add_method(*state_, std::move(full_method), wire::WireMethod{.bidi = std::move(handler)});
}

void WireServer::set_serving(bool serving) { state_->health->set_all(serving); }

void WireServer::start() {
  add_health(*state_);
  state_->started = true;
  std::vector<asio::io_context*> threads;
  for (auto& lane : state_->lanes) threads.push_back(lane.io);
  auto acceptors = svckit::detail::listen_on_every_thread(state_->shared->opts.address, threads);
  for (std::size_t i = 0; i < acceptors.size(); ++i) state_->lanes[i].acceptor = std::move(acceptors[i]);
  state_->port = state_->lanes.front().acceptor->local_endpoint().port();
  state_->loops = state_->lanes.size();
  for (auto& lane : state_->lanes) asio::co_spawn(*lane.io, state_->accept_loop(lane), asio::detached);
}

void WireServer::shutdown(std::chrono::steady_clock::time_point deadline) {
  auto st = state_;
  st->draining = true;
  st->health->end_watches();  // NOT_SERVING, and Watch streams end: the drain below need not wait for them
  // GOAWAY on every connection: calls in progress finish, then each connection closes.
  st->on_each_lane(deadline, [](Lane& lane) {
    boost::system::error_code ignored;
    if (lane.acceptor) lane.acceptor->close(ignored);
    for (const auto& c : lane.connections) c->drain();
  });
  std::unique_lock lock(st->mu);
  if (!st->cv.wait_until(lock, deadline, [&] { return st->loops.load() == 0; })) {
    lock.unlock();
    st->shared->log.warn("drain deadline reached; closing connections", {{"in_flight", st->shared->in_flight.load()}});
    st->on_each_lane(std::chrono::steady_clock::now() + std::chrono::seconds(1), [](Lane& lane) {
      for (const auto& c : lane.connections) c->abort();
    });
    lock.lock();
    st->cv.wait_until(lock, std::chrono::steady_clock::now() + std::chrono::seconds(1), [&] { return st->loops.load() == 0; });
  }
}

std::string WireServer::describe() const {
  auto [host, _] = split_host_port(state_->shared->opts.address);
  return "grpc " + join_host_port(host, state_->port) + " (svckit wire" + (state_->shared->tls ? ", TLS)" : ")");
}
std::string WireServer::address() const { return bound_address(state_->shared->opts.address, state_->port); }
std::uint16_t WireServer::port() const { return state_->port; }
std::size_t WireServer::in_flight() const { return state_->shared->in_flight.load(); }
std::size_t WireServer::connections() const { return state_->shared->connections.load(); }

}  // namespace svckit::grpc
