#include "svckit/transport/http/server.hpp"

#include <array>

#include <charconv>
#include <optional>
#include <condition_variable>
#include <mutex>
#include <unordered_set>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/ssl/stream.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/flat_stream.hpp>
#include <boost/beast/core/string.hpp>
#include <boost/beast/http/error.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/write.hpp>

#include "svckit/address.hpp"
#include "svckit/log.hpp"
#include "svckit/metrics/registry.hpp"
#include "svckit/trace/span.hpp"
#include "../../tls/ssl_context.hpp"
#include "../listen_on_every_thread.hpp"
#include "read_buffer.hpp"

namespace svckit::http {

namespace asio = boost::asio;
namespace beast = boost::beast;
using tcp = asio::ip::tcp;
namespace ssl = asio::ssl;
constexpr auto use_nothrow = asio::as_tuple(asio::use_awaitable);

namespace {

using Clock = std::chrono::steady_clock;

// One client connection. Its timeouts are enforced by one watchdog timer per connection rather than a
// timer armed and cancelled around every read and write (as beast::tcp_stream does): each phase only
// stores its deadline, and the watchdog wakes at most once per deadline to check it. That takes two timer
// insertions, two cancellations and two aborted-timer completions off every request.
struct Connection {
  explicit Connection(tcp::socket s) : socket(std::move(s)), watchdog(socket.get_executor()) {
    boost::system::error_code ec;
    auto ep = socket.remote_endpoint(ec);
    if (!ec) peer = join_host_port(ep.address().to_string(), ep.port());
  }
  tcp::socket socket;
  std::string peer;  // the client's host:port, given to each request's Context
  asio::steady_timer watchdog;
  Clock::time_point deadline = Clock::time_point::max();  // of the current read or write; max while handling
  Clock::time_point armed = Clock::time_point::max();     // when the watchdog wakes next
  bool busy = false;    // a request is being handled; an idle connection can be closed at once on drain
  bool closed = false;  // the session has ended: the watchdog stops

  void expires_after(Clock::duration d) {
    deadline = Clock::now() + d;
    if (deadline < armed) watchdog.cancel();  // an earlier deadline than the watchdog's: wake it to re-arm
  }
  void expires_never() { deadline = Clock::time_point::max(); }
};

// Everything on one io thread: its acceptor and its connections (touched only from that thread).
struct Lane {
  asio::io_context* io = nullptr;
  std::unique_ptr<tcp::acceptor> acceptor;
  std::unordered_set<Connection*> connections;
};

void lower_into(std::string& out, std::string_view s) {
  out.resize(s.size());
  for (std::size_t i = 0; i < s.size(); ++i) {
    char c = s[i];
    out[i] = (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c;  // header names are ASCII
  }
}

// Closes the connection once the deadline of its current read or write has passed. While a handler runs
// (no deadline) it looks again every `idle_check`, which is rare enough to cost nothing. It holds only the
// connection, never the server state.
asio::awaitable<void> watch(std::shared_ptr<Connection> conn, Clock::duration idle_check) {
  while (!conn->closed) {
    const auto now = Clock::now();
    if (conn->deadline <= now) {
      boost::system::error_code ignored;
      conn->socket.close(ignored);  // the pending read or write ends with operation_aborted
      co_return;
    }
    conn->armed = conn->deadline == Clock::time_point::max() ? now + idle_check : conn->deadline;
    conn->watchdog.expires_at(conn->armed);
    co_await conn->watchdog.async_wait(use_nothrow);
  }
}

// Headers that describe this hop's framing, not the request: not copied into the Context's metadata.
bool is_framing_header(std::string_view key) {
  return key == "host" || key == "content-length" || key == "content-type" || key == "connection" ||
         key == "transfer-encoding" || key == "keep-alive" || key == "accept-encoding";
}

// RFC 9112 §6.1, §6.3: a request's framing is ours to trust only with no Transfer-Encoding, or with exactly
// "chunked" in HTTP/1.1. Anything else ("gzip", "chunked, gzip", one we cannot decode) leaves the body's end
// to guesswork, and a proxy in front that guesses differently would take its bytes for a next request
// (smuggling): such a request is answered 400 and its connection closed. Beast itself reads
// "Transfer-Encoding: gzip" as a request without a body, so this is checked on every request. Likewise a body
// with two Content-Types: Beast reads the first, a proxy may have checked the last (JSON here, protobuf there).
std::string_view framing_error(const beast_http::request<beast_http::string_body>& msg) {
  if (msg.count(beast_http::field::content_type) > 1) return "more than one Content-Type";
  const std::size_t fields = msg.count(beast_http::field::transfer_encoding);
  if (fields == 0) return {};
  auto te = msg[beast_http::field::transfer_encoding];
  std::string_view value(te.data(), te.size());
  if (msg.version() < 11) return "Transfer-Encoding in an HTTP/1.0 request";
  while (!value.empty() && (value.front() == ' ' || value.front() == '\t')) value.remove_prefix(1);
  while (!value.empty() && (value.back() == ' ' || value.back() == '\t')) value.remove_suffix(1);
  if (fields > 1 || !beast::iequals(value, "chunked")) return "unsupported Transfer-Encoding (only \"chunked\" is)";
  return {};
}

// X-Timeout-Ms: a count of milliseconds. Values too large to hold are the longest timeout a Context keeps,
// not an overflow; anything but digits is ignored.
std::optional<Clock::duration> parse_timeout_ms(std::string_view value) {
  std::uint64_t ms = 0;
  auto [p, err] = std::from_chars(value.data(), value.data() + value.size(), ms);
  if (value.empty() || p != value.data() + value.size()) return std::nullopt;
  constexpr auto kMaxMs = std::chrono::duration_cast<std::chrono::milliseconds>(Context::kMaxTimeout).count();
  if (err == std::errc::result_out_of_range || ms > static_cast<std::uint64_t>(kMaxMs)) return Context::kMaxTimeout;
  if (err != std::errc()) return std::nullopt;
  return std::chrono::milliseconds(ms);
}

}  // namespace

struct Server::State : std::enable_shared_from_this<Server::State> {
  ServerOptions opts;
  Router router;
  std::optional<ssl::context> tls;  // from opts.tls: connections start with a handshake
  std::vector<Lane> lanes;
  std::atomic<std::uint16_t> port{0};  // written by start() on the runner's thread, read by port() anywhere
  std::atomic<std::size_t> in_flight{0};
  metrics::Counter& shed = metrics::default_registry()
                               .counter("svckit_requests_shed_total", "Requests refused by admission control (max_in_flight), by transport.",
                                        {"transport"})
                               .with({"http"});
  std::atomic<std::size_t> connections{0};
  std::atomic<std::size_t> accepting{0};  // accept loops not yet ended (each holds the state alive)
  std::atomic<bool> draining{false};
  std::mutex mu;
  std::condition_variable idle_cv;
  log::Logger log{"http"};

  // Runs fn on every lane's own thread and waits (until deadline) for all of them to have run it.
  template <class F>
  void on_each_lane(std::chrono::steady_clock::time_point deadline, F fn) {
    auto pending = std::make_shared<std::atomic<std::size_t>>(lanes.size());
    for (auto& lane : lanes) {
      asio::post(*lane.io, [self = shared_from_this(), &lane, fn, pending] {
        fn(lane);
        if (pending->fetch_sub(1) == 1) {
          std::lock_guard lock(self->mu);
          self->idle_cv.notify_all();
        }
      });
    }
    std::unique_lock lock(mu);
    idle_cv.wait_until(lock, deadline, [&] { return pending->load() == 0; });
  }

  // A header a peer sent that the Context will not carry (bytes gRPC refuses, too long): counted, and logged
  // at most once a second so that a flood of them does not flood the log.
  metrics::Counter& dropped_headers =
      metrics::default_registry()
          .counter("svckit_headers_dropped_total",
                   "Request headers not carried into the Context: not valid metadata (svckit/metadata.hpp).", {"transport"})
          .with({"http"});
  log::Throttle dropped_log;
  void header_dropped(std::string_view key) {
    dropped_headers.inc();
    if (auto held = dropped_log.pass())
      log.warn("header not carried: not valid metadata", {{"header", key.substr(0, 64)}, {"suppressed", *held}});
  }

  // Over max_connections: closed at once, before a byte is read, so that a flood of idle connections costs
  // one accept each and cannot hold file descriptors or memory. The client sees the connection closed (a
  // retryable error: svckit's clients try another instance).
  metrics::Counter& refused = metrics::default_registry()
                                  .counter("svckit_connections_refused_total",
                                           "Connections closed on accept: the server was at max_connections.", {"transport"})
                                  .with({"http"});
  log::Throttle refused_log;
  void refuse_connection(tcp::socket& sock) {
    refused.inc();
    boost::system::error_code ignored;
    sock.close(ignored);
    if (auto held = refused_log.pass())
      log.warn("connection refused: at max_connections",
               {{"max_connections", opts.max_connections}, {"suppressed", *held}});
  }

  void connection_closed() {
    if (connections.fetch_sub(1) == 1) {
      std::lock_guard lock(mu);
      idle_cv.notify_all();
    }
  }

  asio::awaitable<void> accept_loop(Lane& lane) {
    auto self = shared_from_this();
    // shutdown() waits for every loop to end: a loop left suspended when the threads stop would keep the
    // state — and the routes' handlers with their clients' sockets — alive until the io_contexts are
    // destroyed, and those sockets would then be closed on a destroyed context.
    struct Ended {
      State& st;
      ~Ended() {
        if (st.accepting.fetch_sub(1) == 1) {
          std::lock_guard lock(st.mu);
          st.idle_cv.notify_all();
        }
      }
    } ended{*this};
    for (;;) {
      auto [ec, sock] = co_await lane.acceptor->async_accept(use_nothrow);
      if (ec) {
        if (ec == asio::error::operation_aborted || draining || !lane.acceptor->is_open()) co_return;
        // EMFILE and friends: log, back off briefly (no busy loop) and keep accepting rather than dying.
        log.warn("accept failed", {{"error", ec.message()}});
        asio::steady_timer pause(*lane.io, std::chrono::milliseconds(50));
        co_await pause.async_wait(use_nothrow);
        continue;
      }
      if (opts.max_connections > 0 && connections.load() >= opts.max_connections) {
        refuse_connection(sock);
        continue;
      }
      sock.set_option(tcp::no_delay(true));
      connections.fetch_add(1);
      asio::co_spawn(*lane.io, session(lane, std::move(sock)), asio::detached);
    }
  }

  // Turns headers into the Context (request id, deadline, trace, metadata) and dispatches to the route,
  // inside a SERVER span named after the route.
  asio::awaitable<Response> dispatch(Request& req) {
    std::string key;
    std::string_view traceparent;
    for (const auto& f : req.msg) {
      lower_into(key, std::string_view(f.name_string().data(), f.name_string().size()));
      std::string_view value(f.value().data(), f.value().size());
      if (key == kRequestIdHeader) {
        if (!req.ctx.set_request_id(std::string(value))) {  // a fresh id is made below
          header_dropped(key);
          continue;
        }
      } else if (key == kTimeoutHeader) {
        if (auto t = parse_timeout_ms(value)) req.ctx.set_timeout(*t);
      } else if (key == trace::kTraceparentHeader) {
        traceparent = value;  // points into req.msg, which outlives this call
      }
      // Only what is valid metadata travels on (metadata.hpp): a value gRPC would refuse stops here.
      if (!is_framing_header(key) && !req.ctx.add_metadata(key, std::string(value))) header_dropped(key);
    }
    if (req.ctx.request_id().empty()) req.ctx.set_request_id(new_request_id());

    auto m = router.match(req.msg.method(), req.path(), req.params);
    auto span = trace::Span::server(m.route ? std::string_view(*m.route) : std::string_view(req.msg.method_string()),
                                    traceparent);
    req.ctx.set_span(span.context());
    Response res = co_await route(req, m);
    if (span.recording()) {
      span.tag("http.method", req.msg.method_string());
      span.tag("http.path", req.path());
      span.tag("http.status_code", std::to_string(res.result_int()));
      auto code = status_code_from_http(static_cast<int>(res.result_int()));
      span.end(code == StatusCode::Ok ? Status() : Status(code, "HTTP " + std::to_string(res.result_int())));
    }
    co_return res;
  }

  asio::awaitable<Response> route(Request& req, const Router::Match& m) {
    if (!m.handler) {
      std::string what = std::string(req.msg.method_string()) + " " + std::string(req.path());
      if (m.status == 405) {
        auto res = error_response(Status(StatusCode::Unimplemented, "method not allowed: " + what));
        res.result(beast_http::status::method_not_allowed);
        res.set(beast_http::field::allow, m.allow);
        co_return res;
      }
      co_return error_response(not_found("no route for " + what));
    }
    try {
      co_return co_await (*m.handler)(req);
    } catch (const std::exception& e) {
      char trace_id[32];
      trace::write_trace_id_hex(req.ctx.span(), trace_id);
      log.error("handler threw", {{"path", req.path()},
                                  {"error", e.what()},
                                  {"request_id", req.ctx.request_id()},
                                  {"trace_id", std::string_view(trace_id, 32)}});
    }
    co_return error_response(internal_error("internal error"));
  }

  // Reads and answers requests on one connection until it closes, fails or is refused; returns whether a
  // refused request's remaining bytes should be drained before closing (see session()).
  template <class Stream>
  asio::awaitable<bool> serve_requests(Connection& conn, Stream& stream, beast::flat_buffer& buffer) {
    for (;;) {
      if (draining) co_return false;
      beast_http::request_parser<beast_http::string_body> parser;
      parser.header_limit(static_cast<std::uint32_t>(opts.header_limit));
      parser.body_limit(opts.body_limit);
      conn.expires_after(opts.read_timeout);
      auto [rec, n] = co_await beast_http::async_read(stream, buffer, parser, use_nothrow);
      (void)n;
      std::string_view bad_framing = rec ? std::string_view() : framing_error(parser.get());
      if (rec || !bad_framing.empty()) {
        // A clean close, a timeout or a reset: nothing to answer. A request we refuse: answer, then close.
        auto res = refusal(rec, bad_framing);
        if (!res) co_return false;
        conn.expires_after(opts.write_timeout);
        co_await beast_http::async_write(stream, *res, use_nothrow);
        co_return true;
      }

      conn.busy = true;
      Request req{parser.release(), {}, Context{}};
      req.ctx.set_peer(conn.peer);
      const std::size_t body_size = req.msg.body().size();  // before a handler may move the body out
      Response res;
      if (in_flight.fetch_add(1) >= opts.max_in_flight && opts.max_in_flight > 0) {
        shed.inc();  // admission control: shed now rather than queue without bound
        req.ctx.set_request_id(new_request_id());
        res = error_response(Status(StatusCode::Unavailable,
                                    "server overloaded: " + std::to_string(opts.max_in_flight) + " requests in flight")
                                 .with_retry_after(std::chrono::seconds(1)));
      } else {
        conn.expires_never();  // the handler's own deadline governs from here
        res = co_await dispatch(req);
      }
      in_flight.fetch_sub(1);

      const bool keep = req.msg.keep_alive() && !draining;
      res.version(req.msg.version());
      res.keep_alive(keep);
      res.set(kRequestIdHeader, req.ctx.request_id());
      res.prepare_payload();
      conn.expires_after(opts.write_timeout);
      auto [wec, wn] = co_await beast_http::async_write(stream, res, use_nothrow);
      (void)wn;
      conn.busy = false;
      if (wec || !keep) co_return false;
      detail::fit_read_buffer(buffer, body_size);  // large bodies: larger reads next time
    }
  }

  // The answer to a request that failed to parse or is refused (400, 413, 431), or none when the read
  // ended without a request to answer (a clean close, a timeout, a reset).
  std::optional<Response> refusal(const boost::system::error_code& rec, std::string_view bad_framing) const {
    Status why;
    unsigned code = 0;
    if (!bad_framing.empty()) {
      code = 400;
      why = invalid_argument("malformed HTTP request: " + std::string(bad_framing));
    } else if (rec == beast_http::error::body_limit) {
      code = 413;
      why = Status(StatusCode::OutOfRange, "request body exceeds " + std::to_string(opts.body_limit) + " bytes");
    } else if (rec == beast_http::error::header_limit) {
      code = 431;
      why = Status(StatusCode::OutOfRange, "request headers exceed " + std::to_string(opts.header_limit) + " bytes");
    } else if (rec.category() == beast_http::make_error_code(beast_http::error::end_of_stream).category() &&
               rec != beast_http::error::end_of_stream && rec != beast_http::error::partial_message) {
      code = 400;
      why = invalid_argument("malformed HTTP request: " + rec.message());
    }
    if (code == 0) return std::nullopt;
    auto res = error_response(why);
    res.result(static_cast<beast_http::status>(code));
    res.keep_alive(false);
    res.prepare_payload();
    return res;
  }

  // A TLS handshake that failed: a plaintext client, an untrusted or missing client certificate, a scanner.
  // Counted, and logged at most once a second.
  metrics::Counter& handshake_failures =
      metrics::default_registry()
          .counter("svckit_tls_handshake_failures_total", "TLS handshakes a server refused or that failed.", {"transport"})
          .with({"http"});
  log::Throttle handshake_log;
  void handshake_failed(const Connection& conn, const boost::system::error_code& ec) {
    handshake_failures.inc();
    if (auto held = handshake_log.pass())
      log.warn("TLS handshake failed", {{"peer", conn.peer}, {"error", ec.message()}, {"suppressed", *held}});
  }

  asio::awaitable<bool> serve_tls(Connection& conn, beast::flat_buffer& buffer) {
    // flat_stream: a response's header and body go out as one TLS record and one send, not one each (an
    // SSL stream encrypts one buffer of a sequence per write).
    beast::flat_stream<ssl::stream<tcp::socket&>> stream(conn.socket, *tls);
    conn.expires_after(opts.read_timeout);  // the handshake is bounded like a request
    auto [hec] = co_await stream.next_layer().async_handshake(ssl::stream_base::server, use_nothrow);
    if (hec) {
      handshake_failed(conn, hec);
      co_return false;
    }
    const bool linger = co_await serve_requests(conn, stream, buffer);
    if (!linger) {
      // close_notify, so that the client can tell our close from a truncation; bounded, as the client
      // may never answer it.
      conn.expires_after(std::chrono::seconds(1));
      co_await stream.next_layer().async_shutdown(use_nothrow);
    }
    co_return linger;
  }

  asio::awaitable<void> session(Lane& lane, tcp::socket sock) {
    auto self = shared_from_this();
    auto conn_ptr = std::make_shared<Connection>(std::move(sock));
    Connection& conn = *conn_ptr;
    lane.connections.insert(&conn);
    beast::flat_buffer buffer;
    // Posted: it first runs once the first read below has set its deadline.
    asio::co_spawn(*lane.io, watch(conn_ptr, opts.read_timeout), asio::detached);

    // linger: we refused a request; drain what the client still sends before closing.
    bool linger = false;  // (not a ?: of two co_awaits: GCC 12 mishandles those)
    if (tls)
      linger = co_await serve_tls(conn, buffer);
    else
      linger = co_await serve_requests(conn, conn.socket, buffer);

    boost::system::error_code ignored;
    conn.socket.shutdown(tcp::socket::shutdown_send, ignored);
    if (linger) {
      // Lingering close (as nginx does): the client may still be sending the body we refused. Closing
      // with unread data would reset the connection and could destroy our answer before the client reads
      // it, so read and discard for a short while (bounded in time and bytes) first.
      conn.expires_after(std::chrono::seconds(1));
      std::array<char, 16384> sink;
      std::size_t drained = 0;
      while (drained < 4 * opts.body_limit) {
        auto [dec, dn] = co_await conn.socket.async_read_some(boost::asio::buffer(sink), use_nothrow);
        if (dec) break;
        drained += dn;
      }
    }
    conn.closed = true;
    conn.watchdog.cancel();
    lane.connections.erase(&conn);
    connection_closed();
  }
};

Server::Server(IoPool& io, ServerOptions opts, Router router) : state_(std::make_shared<State>()) {
  state_->opts = std::move(opts);
  state_->router = std::move(router);
  if (state_->opts.tls) state_->tls.emplace(tls::detail::server_context(*state_->opts.tls));
  for (std::size_t i = 0; i < io.size(); ++i) state_->lanes.push_back(Lane{&io.context(i), nullptr, {}});
}

Server::~Server() = default;

std::uint16_t Server::port() const { return state_->port; }
std::size_t Server::in_flight() const { return state_->in_flight.load(); }
std::size_t Server::connections() const { return state_->connections.load(); }

std::string Server::address() const { return bound_address(state_->opts.address, state_->port); }

std::string Server::describe() const {
  auto [host, _] = split_host_port(state_->opts.address);
  return state_->opts.name + " " + join_host_port(host, state_->port) + (state_->tls ? " (TLS)" : "");
}

void Server::start() {
  std::vector<asio::io_context*> threads;
  for (auto& lane : state_->lanes) threads.push_back(lane.io);
  auto acceptors = svckit::detail::listen_on_every_thread(state_->opts.address, threads);
  for (std::size_t i = 0; i < acceptors.size(); ++i) state_->lanes[i].acceptor = std::move(acceptors[i]);
  state_->port = state_->lanes.front().acceptor->local_endpoint().port();
  state_->accepting = state_->lanes.size();
  for (auto& lane : state_->lanes) asio::co_spawn(*lane.io, state_->accept_loop(lane), asio::detached);
}

void Server::shutdown(std::chrono::steady_clock::time_point deadline) {
  auto st = state_;
  st->draining = true;
  // Close acceptors and idle keep-alive connections on their own threads, and wait until that is done so
  // that no new connection is accepted once shutdown() has begun; busy connections close after their
  // response is written.
  st->on_each_lane(deadline, [](Lane& lane) {
    boost::system::error_code ignored;
    if (lane.acceptor) lane.acceptor->close(ignored);
    for (auto* c : lane.connections)
      if (!c->busy) c->socket.cancel(ignored);
  });
  std::unique_lock lock(st->mu);
  if (!st->idle_cv.wait_until(lock, deadline,
                              [&] { return st->connections.load() == 0 && st->accepting.load() == 0; })) {
    lock.unlock();
    st->log.warn("drain deadline reached; closing connections", {{"in_flight", st->in_flight.load()}});
    st->on_each_lane(std::chrono::steady_clock::now() + std::chrono::seconds(1), [](Lane& lane) {
      boost::system::error_code ignored;
      for (auto* c : lane.connections) c->socket.close(ignored);
    });
  }
}

}  // namespace svckit::http
