#include "svckit/transport/http/client.hpp"

#include <charconv>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl/stream.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/write.hpp>

#include "svckit/trace/span.hpp"
#include "../../tls/ssl_context.hpp"
#include "read_buffer.hpp"

namespace svckit::http {

namespace asio = boost::asio;
namespace beast = boost::beast;
using tcp = asio::ip::tcp;
namespace ssl = asio::ssl;
constexpr auto use_nothrow = asio::as_tuple(asio::use_awaitable);

struct Client::Pool {
  struct Conn {
    beast::tcp_stream stream;  // its expiry bounds every read and write, TLS records included
    std::unique_ptr<ssl::stream<beast::tcp_stream&>> tls;  // over `stream`, when the client speaks TLS
    beast::flat_buffer buffer;
    explicit Conn(asio::any_io_executor ex) : stream(std::move(ex)) {}
  };
  std::optional<ssl::context> tls;  // shared by this client's connections
  std::mutex mu;
  std::vector<std::unique_ptr<Conn>> idle;
  std::size_t opened = 0;

  // Prefers a connection opened on the caller's executor (its socket lives on the caller's thread).
  std::unique_ptr<Conn> take(const asio::any_io_executor& ex) {
    std::lock_guard lock(mu);
    for (auto it = idle.rbegin(); it != idle.rend(); ++it) {
      if ((*it)->stream.get_executor() == ex) {
        auto c = std::move(*it);
        idle.erase(std::next(it).base());
        return c;
      }
    }
    return nullptr;
  }
  void give_back(std::unique_ptr<Conn> c, std::size_t max_idle) {
    std::lock_guard lock(mu);
    if (idle.size() < max_idle) idle.push_back(std::move(c));
  }
};

Client::Client(std::string host, std::uint16_t port, ClientOptions opts)
    : host_(std::move(host)), port_(port), opts_(std::move(opts)), pool_(std::make_unique<Pool>()) {
  if (opts_.tls) pool_->tls.emplace(tls::detail::client_context(*opts_.tls));
}

Client::~Client() = default;

std::size_t Client::connections_opened() const {
  std::lock_guard lock(pool_->mu);
  return pool_->opened;
}

namespace {
Status transport_error(const boost::system::error_code& ec, const std::string& what, const std::string& addr) {
  if (ec == beast::error::timeout) return deadline_exceeded(what + " " + addr + ": deadline exceeded");
  return unavailable(what + " " + addr + ": " + ec.message());
}
bool stale_connection_error(const boost::system::error_code& ec) {
  return ec == beast_http::error::end_of_stream || ec == asio::error::eof || ec == asio::error::connection_reset ||
         ec == asio::error::broken_pipe || ec == ssl::error::stream_truncated;
}
}  // namespace

asio::awaitable<Result<Response>> Client::send(const Context& ctx, Request req) {
  // A CLIENT span per call, child of the caller's span; its id travels in traceparent.
  auto span = trace::Span::client(req.method_string(), ctx.span());
  req.set(trace::kTraceparentHeader, trace::format_traceparent(span.context()));
  if (auto state = ctx.metadata(trace::kTracestateHeader); !state.empty()) req.set(trace::kTracestateHeader, state);
  if (!span.recording()) co_return co_await exchange(ctx, std::move(req));
  span.set_remote(address());
  span.tag("http.method", req.method_string());
  span.tag("http.path", req.target());
  auto r = co_await exchange(ctx, std::move(req));
  if (r.ok()) {
    span.tag("http.status_code", std::to_string(r->result_int()));
    span.end(status_of(*r));
  } else {
    span.end(r.status());
  }
  co_return r;
}

namespace {
// Writes req and reads the response on stream (plain or TLS). On failure, `response` is empty if the
// request could not be sent, set (and meaningless) if the response could not be read.
template <class Stream>
asio::awaitable<std::pair<boost::system::error_code, std::optional<Response>>> roundtrip(
    Stream& stream, beast::flat_buffer& buffer, Client::Request& req, std::size_t body_limit) {
  auto [wec, wn] = co_await beast_http::async_write(stream, req, use_nothrow);
  (void)wn;
  if (wec) co_return std::pair{wec, std::optional<Response>()};
  beast_http::response_parser<beast_http::string_body> parser;
  parser.body_limit(body_limit);
  auto [rec, rn] = co_await beast_http::async_read(stream, buffer, parser, use_nothrow);
  (void)rn;
  co_return std::pair{rec, std::optional<Response>(parser.release())};
}
}  // namespace

asio::awaitable<Result<Response>> Client::exchange(const Context& ctx, Request req) {
  auto ex = co_await asio::this_coro::executor;
  const auto deadline = ctx.deadline().value_or(Context::Clock::now() + opts_.timeout);
  req.set(beast_http::field::host, host_);
  if (!ctx.request_id().empty()) req.set(kRequestIdHeader, ctx.request_id());
  if (ctx.deadline()) {
    auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(*ctx.remaining()).count();
    req.set(kTimeoutHeader, std::to_string(ms));
  }
  req.keep_alive(true);
  req.prepare_payload();

  for (int attempt = 0; attempt < 2; ++attempt) {
    if (Context::Clock::now() >= deadline) co_return deadline_exceeded("deadline exceeded before sending to " + address());
    auto conn = pool_->take(ex);
    const bool reused = conn != nullptr;
    if (!conn) {
      conn = std::make_unique<Pool::Conn>(ex);
      conn->stream.expires_at(deadline);
      tcp::resolver resolver(ex);
      auto [rec, results] = co_await resolver.async_resolve(host_, std::to_string(port_), use_nothrow);
      if (rec) co_return unavailable("resolve " + address() + ": " + rec.message());
      auto [cec, ep] = co_await conn->stream.async_connect(results, use_nothrow);
      if (cec) co_return transport_error(cec, "connect", address());
      conn->stream.socket().set_option(tcp::no_delay(true));
      if (pool_->tls) {
        conn->tls = std::make_unique<ssl::stream<beast::tcp_stream&>>(conn->stream, *pool_->tls);
        if (auto s = tls::detail::expect_server_name(*conn->tls, opts_.tls->server_name.empty() ? host_ : opts_.tls->server_name); !s.ok())
          co_return s;
        auto [hec] = co_await conn->tls->async_handshake(ssl::stream_base::client, use_nothrow);
        if (hec) co_return transport_error(hec, "TLS handshake with", address());
      }
      std::lock_guard lock(pool_->mu);
      ++pool_->opened;
    }
    conn->stream.expires_at(deadline);
    // (Not a ?: of two co_awaits: GCC 12 destroys that expression's temporaries twice.)
    std::pair<boost::system::error_code, std::optional<Response>> outcome;
    if (conn->tls)
      outcome = co_await roundtrip(*conn->tls, conn->buffer, req, opts_.body_limit);
    else
      outcome = co_await roundtrip(conn->stream, conn->buffer, req, opts_.body_limit);
    auto& [ec, response] = outcome;
    if (ec) {
      if (reused && stale_connection_error(ec)) continue;
      co_return transport_error(ec, response ? "read from" : "send to", address());
    }
    Response res = std::move(*response);
    if (res.keep_alive()) {
      detail::fit_read_buffer(conn->buffer, res.body().size());  // large bodies: larger reads next time
      conn->stream.expires_never();
      pool_->give_back(std::move(conn), opts_.max_idle);
    }
    co_return res;
  }
  co_return unavailable("connection to " + address() + " closed twice while sending");
}

asio::awaitable<Result<Response>> Client::request(const Context& ctx, Verb verb, std::string target,
                                                  std::string body) {
  Request req{verb, std::move(target), 11};
  if (!body.empty()) {
    req.set(beast_http::field::content_type, "application/json");
    req.body() = std::move(body);
  }
  co_return co_await send(ctx, std::move(req));
}

Status status_of(const Response& res) {
  auto code = status_code_from_http(static_cast<int>(res.result_int()));
  if (code == StatusCode::Ok) return {};
  Status s = json::parse_error_body(res.body()).value_or(Status(code, "HTTP " + std::to_string(res.result_int())));
  // Retry-After in seconds (the HTTP-date form is not used by svckit servers and is ignored).
  auto it = res.find(beast_http::field::retry_after);
  if (it != res.end()) {
    std::int64_t secs = 0;
    auto v = it->value();
    auto [p, ec] = std::from_chars(v.data(), v.data() + v.size(), secs);
    if (ec == std::errc() && p == v.data() + v.size() && secs >= 0) s.with_retry_after(std::chrono::seconds(secs));
  }
  return s;
}

}  // namespace svckit::http
