#include "client_connection.hpp"

#include <nghttp2/nghttp2.h>

#include <algorithm>
#include <charconv>
#include <optional>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/connect.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>

#include "framing.hpp"
#include "nghttp2_header.hpp"
#include "svckit/transport/http/message.hpp"  // url_decode
#include "timeout.hpp"

namespace svckit::grpc::wire {

namespace asio = boost::asio;
using tcp = asio::ip::tcp;
using Clock = std::chrono::steady_clock;

namespace {
// Reply headers and trailers of one call, names and values together: more resets the stream.
constexpr std::size_t kMaxReplyHeaderBytes = 64 * 1024;
// Our receive windows: a 4 MiB reply arrives in a few round trips rather than 64 of 64 KiB.
constexpr std::int32_t kStreamWindow = 1 << 20;
constexpr std::int32_t kConnectionWindow = 8 << 20;
constexpr std::size_t kWriteBatch = 64 * 1024;
// A server stream's messages waiting for their sink: beyond this its window is not reopened.
constexpr std::size_t kStreamBuffer = 256 * 1024;
// gRPC servers punish pings that come while they send nothing: grpc-go strikes a ping less than 5 minutes
// after the last one unless it wrote HEADERS or DATA since, and at the third strike answers GOAWAY
// ENHANCE_YOUR_CALM "too_many_pings" and closes the connection (gRPC C++ likewise). So, as gRPC's own
// clients do (GRPC_ARG_HTTP2_MAX_PINGS_WITHOUT_DATA), at most two pings go out while the server sends
// nothing; after them, one each 5 minutes (and a little), which no default server counts.
constexpr int kMaxPingsWithoutData = 2;
constexpr auto kQuietPingInterval = std::chrono::minutes(5) + std::chrono::seconds(10);

// grpc-message is percent-encoded (PROTOCOL-HTTP2.md); one with a malformed escape is kept as it came.
std::string percent_decode(std::string_view in) { return http::url_decode(in, /*plus_is_space=*/false).value_or(std::string(in)); }

// gRPC's mapping of RST_STREAM codes (PROTOCOL-HTTP2.md, "Errors").
Status reset_status(std::uint32_t code) {
  switch (code) {
    case NGHTTP2_REFUSED_STREAM: return Status(StatusCode::Unavailable, "the server refused the stream (the call did not run)");
    case NGHTTP2_CANCEL: return Status(StatusCode::Cancelled, "the server cancelled the call");
    case NGHTTP2_ENHANCE_YOUR_CALM: return Status(StatusCode::ResourceExhausted, "the server reset the call: ENHANCE_YOUR_CALM");
    case NGHTTP2_INADEQUATE_SECURITY: return Status(StatusCode::PermissionDenied, "the server reset the call: INADEQUATE_SECURITY");
    default: return Status(StatusCode::Internal, std::string("the server reset the call: ") + nghttp2_http2_strerror(code));
  }
}

// A reply without grpc-status: what its HTTP status says (gRPC's http-grpc-status-mapping.md).
Status http_status(int code) {
  const std::string what = "HTTP status " + std::to_string(code) + " without grpc-status";
  switch (code) {
    case 400: return Status(StatusCode::Internal, what);
    case 401: return Status(StatusCode::Unauthenticated, what);
    case 403: return Status(StatusCode::PermissionDenied, what);
    case 404: return Status(StatusCode::Unimplemented, what);
    case 429: case 502: case 503: case 504: return Status(StatusCode::Unavailable, what);
    default: return Status(code == 200 ? StatusCode::Internal : StatusCode::Unknown, what);
  }
}

std::optional<long long> parse_number(std::string_view v) {
  long long n = 0;
  auto [p, ec] = std::from_chars(v.data(), v.data() + v.size(), n);
  if (ec != std::errc() || p != v.data() + v.size()) return std::nullopt;
  return n;
}
}  // namespace

struct ClientConnection::Stream {
  Stream(asio::io_context& io, Clock::time_point deadline_at, std::size_t max_message)
      : wake(io, Clock::time_point::max()), deadline(deadline_at), reader(max_message) {}
  // Never expires (so it costs the kernel's timer nothing): cancelled when the call's fate changes
  // (connected, replied, failed, past its deadline: the connection's DeadlineTimer sees to that).
  asio::steady_timer wake;
  Clock::time_point deadline;
  std::int32_t id = 0;
  std::string body;  // the framed request
  std::size_t sent = 0;
  // The reply.
  MessageReader reader;
  std::size_t header_bytes = 0;
  int http_status = 0;
  std::optional<long long> grpc_status;
  std::string grpc_message;
  std::optional<long long> pushback_ms;
  bool done = false;
  Status result;
  // A server stream: messages are taken from the reader one at a time, and `held` bytes of DATA are not
  // yet given back to the server's window (see release_window).
  bool streaming = false;
  std::size_t held = 0;
  // A client or bidirectional stream: the driver's requests are appended to `body` as it writes, and go
  // out as the server's window allows; `last` once it closed its side.
  bool bidi = false;
  bool last = false;
  std::optional<asio::steady_timer> drained;  // a writer waiting for the server to take more (never expires)

  std::size_t unsent() const { return body.size() - sent; }
};

// A stream still open when its caller leaves (the driver or sink returned, the caller was cancelled, one
// of them threw) is reset at once, so the server stops too, rather than at the deadline. Not while the io
// context is being torn down (nothing can be written then).
struct ClientConnection::ResetIfOpen {
  ClientConnection& conn;
  Stream& s;
  ~ResetIfOpen() {
    if (s.done || conn.io_.stopped()) return;
    conn.finish(s, Status(StatusCode::Cancelled, "the caller left the stream"));
    conn.reset(s);
  }
};

class ClientConnection::StreamReader final : public WireStreamReader {
 public:
  StreamReader(ClientConnection& c, Stream& s) : conn_(c), stream_(s) {}
  asio::awaitable<std::optional<std::string>> read() override { return conn_.next_message(stream_); }

 private:
  ClientConnection& conn_;
  Stream& stream_;
};

class ClientConnection::StreamWriter final : public WireRequestWriter {
 public:
  StreamWriter(ClientConnection& c, Stream& s) : conn_(c), stream_(s) {}
  asio::awaitable<bool> write(std::string message) override { return conn_.send_message(stream_, std::move(message)); }
  void close() override { conn_.close_sending(stream_); }

 private:
  ClientConnection& conn_;
  Stream& stream_;
};

// nghttp2's callbacks: each finds its connection in user_data, its call in the stream's user data.
struct ClientCallbacks {
  static ClientConnection& conn(void* p) { return *static_cast<ClientConnection*>(p); }
  static ClientConnection::Stream* stream(ClientConnection& c, std::int32_t id) {
    auto it = c.streams_.find(id);
    return it == c.streams_.end() ? nullptr : it->second.get();
  }

  static int on_header(nghttp2_session* session, const nghttp2_frame* frame, const uint8_t* name, size_t namelen, const uint8_t* value,
                       size_t valuelen, uint8_t, void* user) {
    auto* s = stream(conn(user), frame->hd.stream_id);
    if (!s || s->done) return 0;
    if ((s->header_bytes += namelen + valuelen) > kMaxReplyHeaderBytes) {
      conn(user).finish(*s, Status(StatusCode::Internal, "the reply's headers exceed 64 KiB"));
      nghttp2_submit_rst_stream(session, NGHTTP2_FLAG_NONE, frame->hd.stream_id, NGHTTP2_CANCEL);
      return 0;
    }
    const std::string_view k(reinterpret_cast<const char*>(name), namelen);
    const std::string_view v(reinterpret_cast<const char*>(value), valuelen);
    if (k == ":status") {
      s->http_status = static_cast<int>(parse_number(v).value_or(0));
    } else if (k == "grpc-status") {
      s->grpc_status = parse_number(v);
      if (!s->grpc_status) s->grpc_status = static_cast<long long>(StatusCode::Unknown);
    } else if (k == "grpc-message") {
      s->grpc_message = percent_decode(v.substr(0, 4096));
    } else if (k == "grpc-retry-pushback-ms") {
      s->pushback_ms = parse_number(v);
    }
    return 0;
  }

  // Windows are given back by hand (no automatic WINDOW_UPDATE): the connection's at once, a stream's at
  // once too unless it is a server stream whose sink is behind (release_window).
  static int on_data_chunk(nghttp2_session* session, uint8_t, int32_t id, const uint8_t* data, size_t len, void* user) {
    auto& c = conn(user);
    auto* s = stream(c, id);
    nghttp2_session_consume_connection(session, len);
    if (!s || s->done || !s->streaming) nghttp2_session_consume_stream(session, id, len);  // (fails harmlessly on a closed stream)
    if (!s || s->done) return 0;
    Status st = s->reader.feed(std::string_view(reinterpret_cast<const char*>(data), len));
    if (st.ok() && !s->streaming && s->reader.messages().size() > 1) st = Status(StatusCode::Internal, "a unary reply has one message, the server sent more");
    if (!st.ok()) {
      c.finish(*s, st);
      nghttp2_submit_rst_stream(session, NGHTTP2_FLAG_NONE, id, NGHTTP2_CANCEL);  // stop its download
      return 0;
    }
    if (s->streaming) {
      s->held += len;
      c.release_window(*s);
      if (s->reader.has_message()) s->wake.cancel();  // the reader takes it
    }
    return 0;
  }

  static int on_frame_recv(nghttp2_session* session, const nghttp2_frame* frame, void* user) {
    auto& c = conn(user);
    if (frame->hd.type == NGHTTP2_HEADERS || frame->hd.type == NGHTTP2_DATA) {
      c.pings_without_data_ = 0;
      // The server ended a client stream whose driver still sends (an error, or a reply before the
      // requests' end): the call is over; the rest of the requests are not wanted.
      auto* s = stream(c, frame->hd.stream_id);
      if (s && s->bidi && !s->done && !s->last && (frame->hd.flags & NGHTTP2_FLAG_END_STREAM)) {
        c.finish(*s, final_status(*s, NGHTTP2_NO_ERROR));
        nghttp2_submit_rst_stream(session, NGHTTP2_FLAG_NONE, frame->hd.stream_id, NGHTTP2_NO_ERROR);
      }
    }
    if (frame->hd.type == NGHTTP2_GOAWAY) {
      c.going_away_ = true;  // no new calls here; nghttp2 refuses the ones it did not take
      const std::string_view why(reinterpret_cast<const char*>(frame->goaway.opaque_data), frame->goaway.opaque_data_len);
      if (frame->goaway.error_code == NGHTTP2_ENHANCE_YOUR_CALM && why == "too_many_pings") c.too_many_pings_ = true;
    }
    return 0;
  }

  static int on_stream_close(nghttp2_session*, int32_t id, uint32_t error_code, void* user) {
    auto& c = conn(user);
    auto it = c.streams_.find(id);
    if (it == c.streams_.end()) return 0;
    auto sp = std::move(it->second);
    c.streams_.erase(it);
    if (!sp->done) c.finish(*sp, final_status(*sp, error_code));
    return 0;
  }

  // How a call ended, from its trailers (or the reset that ended it).
  static Status final_status(ClientConnection::Stream& s, uint32_t error_code) {
    if (s.grpc_status) {
      const auto code = *s.grpc_status;
      if (code < 0 || code > 16) return Status(StatusCode::Unknown, "grpc-status " + std::to_string(code) + " is not a gRPC status");
      if (code != 0) {
        Status st(static_cast<StatusCode>(code), s.grpc_message);
        if (s.pushback_ms && *s.pushback_ms >= 0) st.with_retry_after(std::chrono::milliseconds(*s.pushback_ms));
        return st;
      }
      if (s.streaming && s.reader.partial()) return Status(StatusCode::Internal, "the server's last message was cut short");
      if (!s.streaming && (s.reader.partial() || s.reader.messages().size() != 1))
        return Status(StatusCode::Internal, s.reader.messages().empty() ? "the server answered OK without a reply message"
                                                                        : "the server's reply message was cut short");
      return Status();
    }
    if (error_code != NGHTTP2_NO_ERROR) return reset_status(error_code);
    return http_status(s.http_status);
  }

  // The request's DATA: the framed message(s), then the end of the stream. A client stream whose driver
  // has not closed its side is deferred when all its messages are out, and resumed by its next write.
  static ssize_t read_body(nghttp2_session*, int32_t, uint8_t* buf, size_t length, uint32_t* flags, nghttp2_data_source* source, void*) {
    auto& s = *static_cast<ClientConnection::Stream*>(source->ptr);
    const std::size_t n = std::min(length, s.unsent());
    std::copy_n(s.body.data() + s.sent, n, buf);
    s.sent += n;
    if (s.drained && s.unsent() <= kStreamBuffer) s.drained->cancel();
    if (s.unsent() == 0) {
      if (!s.bidi || s.last) *flags |= NGHTTP2_DATA_FLAG_EOF;
      else if (n == 0) return NGHTTP2_ERR_DEFERRED;
    }
    return static_cast<ssize_t>(n);
  }
};

ClientConnection::ClientConnection(asio::io_context& io, std::string host, std::string port, const WireChannelOptions& opts,
                                   std::shared_ptr<asio::ssl::context> tls)
    : io_(io), host_(std::move(host)), port_(std::move(port)),
      authority_(host_.find(':') == std::string::npos ? host_ + ":" + port_ : "[" + host_ + "]:" + port_), opts_(opts),
      tls_(std::move(tls)), tls_name_(opts_.tls && !opts_.tls->server_name.empty() ? opts_.tls->server_name : host_),
      socket_(tcp::socket(io), tls_.get()),
      keepalive_timer_(io),
      deadlines_(io.get_executor(), [this](Clock::time_point now) { return expire_deadlines(now); }) {
  nghttp2_session_callbacks* cbs = nullptr;
  nghttp2_session_callbacks_new(&cbs);
  nghttp2_session_callbacks_set_on_header_callback(cbs, &ClientCallbacks::on_header);
  nghttp2_session_callbacks_set_on_data_chunk_recv_callback(cbs, &ClientCallbacks::on_data_chunk);
  nghttp2_session_callbacks_set_on_frame_recv_callback(cbs, &ClientCallbacks::on_frame_recv);
  nghttp2_session_callbacks_set_on_stream_close_callback(cbs, &ClientCallbacks::on_stream_close);
  nghttp2_option* opt = nullptr;
  nghttp2_option_new(&opt);
  nghttp2_option_set_max_deflate_dynamic_table_size(opt, 4096);
  nghttp2_option_set_no_auto_window_update(opt, 1);  // on_data_chunk gives windows back
  nghttp2_session_client_new2(&session_, cbs, this, opt);
  nghttp2_option_del(opt);
  nghttp2_session_callbacks_del(cbs);
}

ClientConnection::~ClientConnection() { nghttp2_session_del(session_); }

asio::awaitable<Result<std::string>> ClientConnection::unary(const OutgoingCall& call) {
  auto self = shared_from_this();
  auto s = std::make_shared<Stream>(io_, call.deadline, opts_.max_message_bytes);
  if (auto failed = co_await start(s, call)) co_return *failed;
  co_return co_await await_reply(s);
}

asio::awaitable<Status> ClientConnection::server_stream(const OutgoingCall& call, const MessageSink& sink) {
  auto self = shared_from_this();
  auto s = std::make_shared<Stream>(io_, call.deadline, opts_.max_message_bytes);
  s->streaming = true;
  if (auto failed = co_await start(s, call)) co_return *failed;
  ResetIfOpen reset_if_open{*this, *s};
  while (auto m = co_await next_message(*s))
    if (!co_await sink(std::move(*m))) co_return Status(StatusCode::Cancelled, "the receiver ended the stream");
  co_return s->result;
}

asio::awaitable<Status> ClientConnection::bidi_stream(const OutgoingCall& call, const WireStreamDriver& drive) {
  auto self = shared_from_this();
  auto s = std::make_shared<Stream>(io_, call.deadline, opts_.max_message_bytes);
  s->streaming = true;
  s->bidi = true;
  if (auto failed = co_await start(s, call)) co_return *failed;
  ResetIfOpen reset_if_open{*this, *s};
  StreamReader in(*this, *s);
  StreamWriter out(*this, *s);
  co_await drive(in, out);
  if (!s->done) co_return Status(StatusCode::Cancelled, "the caller left the stream before its end");
  co_return s->result;
}

// A stream's next reply: what came before its end is handed over too; nullopt at the end (s.result says
// how it ended). A cancelled caller ends the call.
asio::awaitable<std::optional<std::string>> ClientConnection::next_message(Stream& s) {
  for (;;) {
    if (auto m = s.reader.take()) {
      release_window(s);
      co_return m;
    }
    if (s.done) co_return std::nullopt;
    co_await s.wake.async_wait(asio::as_tuple(asio::use_awaitable));  // a message, the end, or the caller cancelled
    auto cs = co_await asio::this_coro::cancellation_state;
    if (cs.cancelled() != asio::cancellation_type::none && !s.done) {
      finish(s, Status(StatusCode::Cancelled, "cancelled"));
      reset(s);  // the server stops too
      co_return std::nullopt;
    }
  }
}

// A client stream's request: queued on its body, sent as the server's flow control allows. Waits while
// more than kStreamBuffer is queued; false once the call is over or the driver closed its side.
asio::awaitable<bool> ClientConnection::send_message(Stream& s, std::string message) {
  while (!s.done && !s.last && s.unsent() > kStreamBuffer) {
    if (!s.drained) s.drained.emplace(io_, Clock::time_point::max());
    co_await s.drained->async_wait(asio::as_tuple(asio::use_awaitable));  // read_body or the end wakes it
    auto cs = co_await asio::this_coro::cancellation_state;
    if (cs.cancelled() != asio::cancellation_type::none && !s.done) {
      finish(s, Status(StatusCode::Cancelled, "cancelled"));
      reset(s);
    }
  }
  if (s.done || s.last || state_ != State::ready) co_return false;
  if (message.size() > opts_.max_message_bytes) {
    finish(s, Status(StatusCode::ResourceExhausted, "request message of " + std::to_string(message.size()) +
                                                        " bytes is over the limit of " + std::to_string(opts_.max_message_bytes)));
    reset(s);
    co_return false;
  }
  if (s.sent > 0 && s.sent >= s.unsent()) {  // what the server has taken is dropped, so a long stream does not grow its buffer
    s.body.erase(0, s.sent);
    s.sent = 0;
  }
  s.body += frame_message(message);
  nghttp2_session_resume_data(session_, s.id);
  flush();
  co_return true;
}

// The driver sends nothing more: END_STREAM follows what is queued.
void ClientConnection::close_sending(Stream& s) {
  if (s.last || s.done || state_ != State::ready) return;
  s.last = true;
  nghttp2_session_resume_data(session_, s.id);
  flush();
}

// A server stream's sink is behind by more than kStreamBuffer: its window stays shut until it catches up.
void ClientConnection::release_window(Stream& s) {
  if (s.held == 0 || s.reader.waiting_bytes() > kStreamBuffer || s.done || state_ != State::ready) return;
  nghttp2_session_consume_stream(session_, s.id, s.held);
  s.held = 0;
  flush();
}

// Connects (or waits for the connect) and submits the call; the status it failed with, if it did.
asio::awaitable<std::optional<Status>> ClientConnection::start(const std::shared_ptr<Stream>& s, const OutgoingCall& call) {
  if (state_ != State::closed) deadlines_.watch(call.deadline, weak_from_this());
  if (state_ == State::idle) {
    state_ = State::connecting;
    asio::co_spawn(io_, connect_and_read(shared_from_this()), asio::detached);
  }
  if (state_ == State::connecting) {
    waiting_.push_back(s);
    while (state_ == State::connecting && !s->done) {
      co_await s->wake.async_wait(asio::as_tuple(asio::use_awaitable));
      if (state_ != State::connecting) break;
      std::erase(waiting_, s);
      if (s->done) co_return s->result;  // its deadline passed
      co_return Status(StatusCode::Cancelled, "cancelled while connecting to " + host_ + ":" + port_);
    }
  }
  if (s->done) co_return s->result;
  if (state_ == State::closed) co_return close_reason_;
  if (going_away_) co_return unavailable("the connection to " + peer_ + " is going away (GOAWAY)");
  if (Clock::now() >= call.deadline) co_return deadline_exceeded("deadline exceeded before calling " + call.path);
  if (!submit(s, call)) co_return s->result;
  co_return std::nullopt;
}

bool ClientConnection::submit(const std::shared_ptr<Stream>& s, const OutgoingCall& call) {
  const std::string timeout = format_grpc_timeout(std::max(call.deadline - Clock::now(), Clock::duration(1)));
  std::vector<nghttp2_nv> nv = {header(":method", "POST"),          header(":scheme", tls_ ? "https" : "http"),
                                header(":path", call.path),         header(":authority", authority_),
                                header("te", "trailers"),           header("content-type", "application/grpc"),
                                header("user-agent", "svckit-wire"), header("grpc-timeout", timeout)};
  for (const auto& [k, v] : call.metadata) nv.push_back(header(k, v));
  s->body = call.body;
  nghttp2_data_provider body{};
  body.source.ptr = s.get();
  body.read_callback = &ClientCallbacks::read_body;
  const std::int32_t id = nghttp2_submit_request(session_, nullptr, nv.data(), nv.size(), &body, s.get());
  if (id < 0) {
    // Stream ids used up (a connection lives for 2^30 calls): this one is done, the next call gets a new one.
    going_away_ = true;
    s->result = unavailable(std::string("cannot start a call on ") + peer_ + ": " + nghttp2_strerror(id));
    return false;
  }
  s->id = id;
  streams_[id] = s;
  flush();
  return true;
}

asio::awaitable<Result<std::string>> ClientConnection::await_reply(const std::shared_ptr<Stream>& s) {
  auto self = shared_from_this();
  if (!s->done) {  // (a reply may have come already, while the request was being written)
    co_await s->wake.async_wait(asio::as_tuple(asio::use_awaitable));
    if (!s->done) {
      // The caller was cancelled: reset the stream so the server stops too.
      finish(*s, Status(StatusCode::Cancelled, "cancelled"));
      reset(*s);
    }
  }
  if (!s->result.ok()) co_return s->result;
  co_return std::move(s->reader.messages().front());
}

void ClientConnection::reset(Stream& s) {
  if (state_ == State::closed || s.id == 0) return;
  nghttp2_submit_rst_stream(session_, NGHTTP2_FLAG_NONE, s.id, NGHTTP2_CANCEL);
  flush();
}

// Calls past their deadline end with DEADLINE_EXCEEDED (their streams reset: the server stops too); returns
// the next deadline.
Clock::time_point ClientConnection::expire_deadlines(Clock::time_point now) {
  auto next = Clock::time_point::max();
  std::vector<std::shared_ptr<Stream>> due;
  auto consider = [&](const std::shared_ptr<Stream>& s) {
    if (s->done) return;
    if (s->deadline <= now) due.push_back(s);
    else next = std::min(next, s->deadline);
  };
  for (const auto& [id, s] : streams_) consider(s);
  for (const auto& s : waiting_) consider(s);
  for (const auto& s : due) {
    finish(*s, deadline_exceeded(std::string(s->id ? "deadline exceeded calling " : "deadline exceeded while connecting to ") + host_ + ":" + port_));
    reset(*s);
  }
  return next;
}

void ClientConnection::finish(Stream& s, Status status) {
  if (s.done) return;
  s.done = true;
  s.result = std::move(status);
  s.wake.cancel();
  if (s.drained) s.drained->cancel();
}

asio::awaitable<void> ClientConnection::connect_and_read(std::shared_ptr<ClientConnection> self) {
  boost::system::error_code ec;
  // An address is used as it is; only a name is resolved (asio resolves on a thread of its own).
  tcp::resolver::results_type endpoints;
  if (auto ip = asio::ip::make_address(host_, ec); !ec) {
    endpoints = tcp::resolver::results_type::create(tcp::endpoint(ip, static_cast<unsigned short>(std::stoi(port_))), host_, port_);
  } else {
    tcp::resolver resolver(io_);
    endpoints = co_await resolver.async_resolve(host_, port_, asio::redirect_error(asio::use_awaitable, ec));
  }
  std::string failed = ec ? ec.message() : "";
  if (!ec) {
    // The connect and the TLS handshake within connect_timeout: at the limit the socket is closed, which
    // ends either wherever it is.
    auto timed_out = std::make_shared<bool>(false);
    asio::steady_timer limit(io_, opts_.connect_timeout);
    limit.async_wait([this, self, timed_out](boost::system::error_code e) {
      if (e || state_ != State::connecting) return;
      *timed_out = true;
      socket_.close();
    });
    failed = co_await establish(endpoints);
    limit.cancel();
    if (*timed_out) failed = "no connection within " + std::to_string(opts_.connect_timeout.count()) + " ms";
  }
  if (state_ == State::closed) co_return;  // closed while connecting
  if (!failed.empty()) {
    connect_failed_ = true;
    close(unavailable("cannot connect to " + host_ + ":" + port_ + ": " + failed));
    co_return;
  }
  const nghttp2_settings_entry settings[] = {
      {NGHTTP2_SETTINGS_ENABLE_PUSH, 0},
      {NGHTTP2_SETTINGS_INITIAL_WINDOW_SIZE, static_cast<uint32_t>(kStreamWindow)},
      {NGHTTP2_SETTINGS_MAX_HEADER_LIST_SIZE, static_cast<uint32_t>(kMaxReplyHeaderBytes)},
  };
  nghttp2_submit_settings(session_, NGHTTP2_FLAG_NONE, settings, std::size(settings));
  nghttp2_session_set_local_window_size(session_, NGHTTP2_FLAG_NONE, 0, kConnectionWindow);
  state_ = State::ready;
  connected_once_ = true;
  last_read_ = Clock::now();
  for (auto& w : waiting_) w->wake.cancel();  // they submit their calls now
  waiting_.clear();
  flush();
  asio::co_spawn(io_, keepalive(self), asio::detached);
  std::vector<std::uint8_t> buf(16 * 1024);
  while (state_ != State::closed) {
    const std::size_t n = co_await socket_.read_some(asio::buffer(buf), ec);
    if (state_ == State::closed) break;
    if (ec) {
      close(unavailable("connection to " + peer_ + " lost: " + ec.message()));
      break;
    }
    last_read_ = Clock::now();
    if (!preface_checked(std::string_view(reinterpret_cast<const char*>(buf.data()), n))) {
      close(unavailable(peer_ + " is not an HTTP/2 server: its first bytes are not a SETTINGS frame"));
      break;
    }
    if (const auto used = nghttp2_session_mem_recv(session_, buf.data(), n); used < 0) {
      close(unavailable("HTTP/2 protocol error from " + peer_ + ": " + nghttp2_strerror(static_cast<int>(used))));
      break;
    }
    flush();
    if (!nghttp2_session_want_read(session_)) {
      // The peer broke the protocol (a connection error): nothing more is read; the calls fail now.
      close(unavailable("HTTP/2 connection error from " + peer_ + ": not a gRPC server, or a broken one"));
      break;
    }
    // After a GOAWAY, once every call has ended, there is nothing left to do here.
    if (going_away_ && streams_.empty()) close(unavailable("the connection to " + peer_ + " went away (GOAWAY)"));
  }
}

// TCP connect, then (with TLS) the handshake; "" when connected, else why not. Sets peer_.
asio::awaitable<std::string> ClientConnection::establish(const tcp::resolver::results_type& endpoints) {
  boost::system::error_code ec;
  co_await asio::async_connect(socket_.tcp(), endpoints, asio::redirect_error(asio::use_awaitable, ec));
  if (ec) co_return ec.message();
  socket_.tcp().set_option(tcp::no_delay(true), ec);
  auto ep = socket_.tcp().remote_endpoint(ec);
  if (!ec) peer_ = ep.address().to_string() + ":" + std::to_string(ep.port());
  co_return co_await socket_.client_handshake(tls_name_);
}

// While calls are in flight, a connection that read nothing for keepalive_time is pinged; no answer within
// keepalive_timeout closes it.
asio::awaitable<void> ClientConnection::keepalive([[maybe_unused]] std::shared_ptr<ClientConnection> self) {
  while (state_ == State::ready) {
    const auto now = Clock::now();
    if (const auto at = next_ping_at(); at > now) {
      keepalive_timer_.expires_at(std::min(at, now + opts_.keepalive_time));  // looks again at least this often
      auto [ec] = co_await keepalive_timer_.async_wait(asio::as_tuple(asio::use_awaitable));
      if (ec) break;
      continue;
    }
    last_ping_ = now;
    ++pings_without_data_;
    nghttp2_submit_ping(session_, NGHTTP2_FLAG_NONE, nullptr);
    flush();
    keepalive_timer_.expires_after(opts_.keepalive_timeout);
    auto [ec] = co_await keepalive_timer_.async_wait(asio::as_tuple(asio::use_awaitable));
    if (ec || state_ != State::ready) break;
    if (last_read_ < now) close(unavailable("no answer from " + peer_ + " to a keepalive ping"));
  }
}

// When the next keepalive ping is due: keepalive_time after the last read while calls are in flight (an idle
// connection is not pinged: gRPC servers count such pings), held back after two pings without data.
Clock::time_point ClientConnection::next_ping_at() const {
  if (streams_.empty()) return Clock::now() + opts_.keepalive_time;
  auto at = last_read_ + opts_.keepalive_time;
  if (pings_without_data_ >= kMaxPingsWithoutData) at = std::max(at, last_ping_ + kQuietPingInterval);
  return at;
}

// A server's connection preface is a SETTINGS frame (RFC 9113, 3.4). nghttp2 would wait for the rest of
// whatever frame the first bytes announce (an HTTP/1.1 answer reads as one of 4.7 MB), so check it here.
bool ClientConnection::preface_checked(std::string_view bytes) {
  if (preface_.size() >= 9) return true;
  preface_.append(bytes.substr(0, 9 - preface_.size()));
  if (preface_.size() < 9) return true;  // not decided yet
  const auto u = [&](std::size_t i) { return static_cast<unsigned char>(preface_[i]); };
  const std::size_t length = (std::size_t{u(0)} << 16) | (std::size_t{u(1)} << 8) | u(2);
  const bool stream0 = (u(5) & 0x7f) == 0 && u(6) == 0 && u(7) == 0 && u(8) == 0;
  return u(3) == NGHTTP2_SETTINGS && !(u(4) & NGHTTP2_FLAG_ACK) && stream0 && length % 6 == 0 && length <= 16384;
}

void ClientConnection::close(Status why) {
  if (state_ == State::closed) return;
  state_ = State::closed;
  close_reason_ = why;
  socket_.close();
  keepalive_timer_.cancel();
  deadlines_.cancel();
  for (auto& [id, s] : streams_) finish(*s, why);
  streams_.clear();
  for (auto& w : waiting_) w->wake.cancel();
  waiting_.clear();
}

void ClientConnection::flush() {
  if (writing_ || state_ != State::ready) return;
  writing_ = true;
  asio::co_spawn(io_, write_loop(shared_from_this()), asio::detached);
}

// `self` keeps the connection alive while a write is in progress.
asio::awaitable<void> ClientConnection::write_loop([[maybe_unused]] std::shared_ptr<ClientConnection> self) {
  while (state_ == State::ready) {
    out_.clear();
    while (out_.size() < kWriteBatch) {
      const uint8_t* data = nullptr;
      const auto n = nghttp2_session_mem_send(session_, &data);
      if (n < 0) {
        close(unavailable(std::string("HTTP/2 error on the connection to ") + peer_ + ": " + nghttp2_strerror(static_cast<int>(n))));
        break;
      }
      if (n == 0) break;
      out_.append(reinterpret_cast<const char*>(data), static_cast<std::size_t>(n));
    }
    if (out_.empty()) break;
    boost::system::error_code ec;
    co_await socket_.write(asio::buffer(out_), ec);
    if (ec) {
      close(unavailable("connection to " + peer_ + " lost: " + ec.message()));
      break;
    }
  }
  writing_ = false;
}

}  // namespace svckit::grpc::wire
