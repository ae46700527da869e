#include "server_connection.hpp"

#include <nghttp2/nghttp2.h>

#include <algorithm>
#include <optional>
#include <vector>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/bind_cancellation_slot.hpp>
#include <boost/asio/cancellation_signal.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>

#include "../../../codec/base64.hpp"
#include "framing.hpp"
#include "nghttp2_header.hpp"
#include "svckit/context.hpp"
#include "svckit/metadata.hpp"
#include "svckit/trace/span.hpp"
#include "timeout.hpp"

namespace svckit::grpc::wire {

namespace asio = boost::asio;
using Clock = std::chrono::steady_clock;

namespace {
// Request headers of one call, all names and values together: more is refused (the stream is reset), so a
// peer cannot make us hold unbounded metadata per stream.
constexpr std::size_t kMaxHeaderBytes = 16 * 1024;
// Our receive windows: a 4 MiB message arrives in a few round trips rather than 64 of 64 KiB.
constexpr std::int32_t kStreamWindow = 1 << 20;
constexpr std::int32_t kConnectionWindow = 8 << 20;
constexpr std::size_t kWriteBatch = 64 * 1024;
// A server stream's messages not yet taken by the client's flow control: past this, write() waits. And a
// client stream's messages not yet read by the handler: past this, the client's window stays shut.
constexpr std::size_t kStreamBuffer = 256 * 1024;
constexpr const char* kPushbackTrailer = "grpc-retry-pushback-ms";

// grpc-message is percent-encoded (PROTOCOL-HTTP2.md): bytes outside 0x20..0x7E, and '%'.
std::string percent_encode_message(std::string_view m) {
  static constexpr char hex[] = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : m.substr(0, 1024)) {
    if (c >= 0x20 && c <= 0x7e && c != '%') {
      out += static_cast<char>(c);
    } else {
      out += '%';
      out += hex[c >> 4];
      out += hex[c & 15];
    }
  }
  return out;
}

}  // namespace

struct ServerConnection::Stream {
  Stream(std::int32_t i, std::size_t max_message)
      : id(i), reader(max_message) {}

  std::int32_t id;
  // Request headers.
  std::string path;
  bool post = false;
  bool grpc_content_type = false;
  std::optional<std::chrono::nanoseconds> timeout;
  std::string traceparent;
  std::vector<std::pair<std::string, std::string>> metadata;
  std::size_t header_bytes = 0;
  bool shed = false;  // refused by admission control when it began
  const WireMethod* method = nullptr;  // looked up once, when the request headers arrive; nullptr: unknown
  MessageReader reader;
  // The call.
  Context ctx;
  trace::Span span;
  asio::cancellation_signal cancel;
  Clock::time_point deadline = Clock::time_point::max();  // the client's, when it sent one
  bool running = false;
  bool responded = false;  // the final status is set (the trailers are queued)
  bool closed = false;  // nghttp2 has closed the stream: nothing more may be sent on it
  // The response: the framed message(s), then the trailers. A server stream's body grows as its handler
  // writes; its headers go out with the first message.
  bool streaming = false;
  bool headers_sent = false;
  std::string body;
  std::size_t sent = 0;
  std::vector<std::pair<std::string, std::string>> trailers;
  std::optional<asio::steady_timer> drained;  // a writer waiting for the client to take more (never expires)
  // A client or bidirectional stream: its handler runs from the headers on and takes the request messages
  // from the reader as they come; `held` bytes of DATA are not yet given back to the client's window
  // (release_window).
  bool half_closed = false;  // the client sent its last message
  std::size_t held = 0;
  std::optional<asio::steady_timer> arrived;  // a reader waiting for a message (never expires)

  bool bidi() const { return method && method->bidi; }
  std::size_t unsent() const { return body.size() - sent; }
  // Wakes a writer or reader waiting on this stream (more room, a message, or the end).
  void wake() {
    if (drained) drained->cancel();
    if (arrived) arrived->cancel();
  }
};

class ServerConnection::StreamWriter final : public WireStreamWriter {
 public:
  StreamWriter(ServerConnection& c, std::shared_ptr<Stream> s) : conn_(c), stream_(std::move(s)) {}
  asio::awaitable<bool> write(std::string message) override { return conn_.write_message(stream_, std::move(message)); }

 private:
  ServerConnection& conn_;
  std::shared_ptr<Stream> stream_;
};

class ServerConnection::StreamReader final : public WireStreamReader {
 public:
  StreamReader(ServerConnection& c, std::shared_ptr<Stream> s) : conn_(c), stream_(std::move(s)) {}
  asio::awaitable<std::optional<std::string>> read() override { return conn_.read_message(stream_); }

 private:
  ServerConnection& conn_;
  std::shared_ptr<Stream> stream_;
};

// nghttp2's callbacks: each finds its connection in user_data.
struct Callbacks {
  static ServerConnection& conn(void* p) { return *static_cast<ServerConnection*>(p); }

  static int on_begin_headers(nghttp2_session*, const nghttp2_frame* frame, void* user) {
    if (frame->hd.type != NGHTTP2_HEADERS || frame->headers.cat != NGHTTP2_HCAT_REQUEST) return 0;
    auto& c = conn(user);
    auto s = std::make_shared<ServerConnection::Stream>(frame->hd.stream_id, c.shared_->opts.max_message_bytes);
    const auto limit = static_cast<std::size_t>(c.shared_->opts.max_in_flight);
    s->shed = limit > 0 && c.shared_->in_flight.load(std::memory_order_relaxed) >= limit;
    c.streams_[frame->hd.stream_id] = std::move(s);
    c.last_active_ = Clock::now();
    return 0;
  }

  static int on_header(nghttp2_session*, const nghttp2_frame* frame, const uint8_t* name, size_t namelen, const uint8_t* value,
                       size_t valuelen, uint8_t, void* user) {
    auto& c = conn(user);
    auto it = c.streams_.find(frame->hd.stream_id);
    if (it == c.streams_.end()) return 0;
    auto& s = *it->second;
    if ((s.header_bytes += namelen + valuelen) > kMaxHeaderBytes) return NGHTTP2_ERR_TEMPORAL_CALLBACK_FAILURE;  // reset
    const std::string_view k(reinterpret_cast<const char*>(name), namelen);
    const std::string_view v(reinterpret_cast<const char*>(value), valuelen);
    if (frame->headers.cat != NGHTTP2_HCAT_REQUEST) return 0;  // trailers from a client: nothing for us
    if (k == ":path") {
      s.path = v;
    } else if (k == ":method") {
      s.post = v == "POST";
    } else if (k == "content-type") {
      s.grpc_content_type = v == "application/grpc" || v.starts_with("application/grpc+") || v.starts_with("application/grpc;");
    } else if (k == "grpc-timeout") {
      s.timeout = parse_grpc_timeout(v);
    } else if (k == trace::kTraceparentHeader) {
      s.traceparent = v;
      s.metadata.emplace_back(k, v);
    } else if (k.starts_with(":") || k.starts_with("grpc-") || k == "te" || k == "user-agent") {
      // This hop's framing and gRPC's own headers describe the transport, not the request.
    } else if (k.ends_with("-bin")) {
      // gRPC sends binary values in base64, padded or not; one that does not decode is not carried.
      if (std::string raw; codec::base64_decode(v, raw, codec::Base64::Standard)) s.metadata.emplace_back(k, std::move(raw));
      else c.header_dropped(k);
    } else {
      s.metadata.emplace_back(k, v);
    }
    return 0;
  }

  // DATA is given back to the connection's window at once, and to the stream's at once too unless a client
  // stream's handler is behind (release_window).
  static int on_data_chunk(nghttp2_session* session, uint8_t, int32_t id, const uint8_t* data, size_t len, void* user) {
    auto& c = conn(user);
    auto it = c.streams_.find(id);
    nghttp2_session_consume_connection(session, len);
    const bool held_back = it != c.streams_.end() && it->second->bidi() && it->second->running && !it->second->responded;
    if (!held_back) nghttp2_session_consume_stream(session, id, len);  // (fails harmlessly on a closed stream)
    if (it == c.streams_.end()) return 0;
    auto& s = *it->second;
    if (held_back) {
      c.take_client_message(s, std::string_view(reinterpret_cast<const char*>(data), len));
      return 0;
    }
    if (s.running || s.responded) return 0;
    Status st = s.reader.feed(std::string_view(reinterpret_cast<const char*>(data), len));
    // A unary call takes one message: more is refused at once rather than buffered without end.
    if (st.ok() && s.reader.messages().size() > 1) st = Status(StatusCode::Internal, "a unary call takes one request message, not more");
    if (!st.ok()) c.respond(s, st, {});  // (on_frame_send stops its upload)
    return 0;
  }

  // The call's status is out (HEADERS ending the server's side) while the client still sends: RST_STREAM
  // NO_ERROR tells it to stop, as gRPC's servers do. Only now, after the status: a reset sent with it could
  // overtake it, and the client would be left without the call's status.
  static int on_frame_send(nghttp2_session* session, const nghttp2_frame* frame, void*) {
    if (frame->hd.type == NGHTTP2_HEADERS && (frame->hd.flags & NGHTTP2_FLAG_END_STREAM) &&
        nghttp2_session_get_stream_remote_close(session, frame->hd.stream_id) == 0)
      nghttp2_submit_rst_stream(session, NGHTTP2_FLAG_NONE, frame->hd.stream_id, NGHTTP2_NO_ERROR);
    return 0;
  }

  static int on_frame_recv(nghttp2_session*, const nghttp2_frame* frame, void* user) {
    auto& c = conn(user);
    if (frame->hd.type == NGHTTP2_SETTINGS && !c.got_settings_) {
      c.got_settings_ = true;
      c.preface_timer_.cancel();
    }
    if (frame->hd.type != NGHTTP2_HEADERS && frame->hd.type != NGHTTP2_DATA) return 0;
    auto it = c.streams_.find(frame->hd.stream_id);
    if (it == c.streams_.end()) return 0;
    auto sp = it->second;
    const bool end = frame->hd.flags & NGHTTP2_FLAG_END_STREAM;
    // A client or bidirectional stream's handler starts with the headers; any other call's once the request is whole.
    const bool request_headers = frame->hd.type == NGHTTP2_HEADERS && frame->headers.cat == NGHTTP2_HCAT_REQUEST;
    if (request_headers) sp->method = c.find_method(sp->path);
    if (!sp->responded && !sp->running && (end || (request_headers && sp->bidi()))) c.dispatch(sp);
    if (end && sp->bidi()) c.client_done(*sp);
    return 0;
  }

  static int on_stream_close(nghttp2_session*, int32_t id, uint32_t, void* user) {
    auto& c = conn(user);
    auto it = c.streams_.find(id);
    if (it == c.streams_.end()) return 0;
    auto s = std::move(it->second);
    c.streams_.erase(it);
    c.last_active_ = Clock::now();
    s->closed = true;
    s->wake();
    if (s->running && !s->responded) {  // the client cancelled (RST_STREAM) or the connection ended
      s->ctx.cancel();
      s->cancel.emit(asio::cancellation_type::terminal);
    }
    return 0;
  }

  // The response's DATA: the framed message(s), then the trailers (sent from here, as nghttp2 allows). A
  // server stream whose handler has not ended yet is deferred when all its messages are out, and resumed
  // by its next write or its end.
  static ssize_t read_body(nghttp2_session* session, int32_t id, uint8_t* buf, size_t length, uint32_t* flags,
                           nghttp2_data_source* source, void*) {
    auto& s = *static_cast<ServerConnection::Stream*>(source->ptr);
    const std::size_t n = std::min(length, s.unsent());
    std::copy_n(s.body.data() + s.sent, n, buf);
    s.sent += n;
    if (s.unsent() <= kStreamBuffer) s.wake();
    if (s.unsent() > 0) return static_cast<ssize_t>(n);
    if (!s.responded) return n > 0 ? static_cast<ssize_t>(n) : ssize_t{NGHTTP2_ERR_DEFERRED};  // a stream still writing
    *flags |= NGHTTP2_DATA_FLAG_EOF | NGHTTP2_DATA_FLAG_NO_END_STREAM;
    std::vector<nghttp2_nv> nv;
    for (const auto& [k, v] : s.trailers) nv.push_back(header(k, v));
    if (nghttp2_submit_trailer(session, id, nv.data(), nv.size()) != 0) return NGHTTP2_ERR_TEMPORAL_CALLBACK_FAILURE;
    return static_cast<ssize_t>(n);
  }
};

ServerConnection::ServerConnection(std::shared_ptr<ServerShared> shared, asio::ip::tcp::socket socket)
    : shared_(std::move(shared)),
      socket_(std::move(socket), shared_->tls ? &*shared_->tls : nullptr),
      preface_timer_(socket_.get_executor()),
      idle_timer_(socket_.get_executor()),
      deadlines_(socket_.get_executor(), [this](Clock::time_point now) { return expire_deadlines(now); }),
      closed_(socket_.get_executor(), Clock::time_point::max()) {
  nghttp2_session_callbacks* cbs = nullptr;
  nghttp2_session_callbacks_new(&cbs);
  nghttp2_session_callbacks_set_on_begin_headers_callback(cbs, &Callbacks::on_begin_headers);
  nghttp2_session_callbacks_set_on_header_callback(cbs, &Callbacks::on_header);
  nghttp2_session_callbacks_set_on_data_chunk_recv_callback(cbs, &Callbacks::on_data_chunk);
  nghttp2_session_callbacks_set_on_frame_recv_callback(cbs, &Callbacks::on_frame_recv);
  nghttp2_session_callbacks_set_on_frame_send_callback(cbs, &Callbacks::on_frame_send);
  nghttp2_session_callbacks_set_on_stream_close_callback(cbs, &Callbacks::on_stream_close);
  nghttp2_option* opt = nullptr;
  nghttp2_option_new(&opt);
  // A stream's headers are bounded by kMaxHeaderBytes in on_header; HPACK's table by what we announce.
  nghttp2_option_set_max_deflate_dynamic_table_size(opt, 4096);
  nghttp2_option_set_no_auto_window_update(opt, 1);  // on_data_chunk gives windows back
  nghttp2_session_server_new2(&session_, cbs, this, opt);
  nghttp2_option_del(opt);
  nghttp2_session_callbacks_del(cbs);
  boost::system::error_code ec;
  auto ep = socket_.tcp().remote_endpoint(ec);
  if (!ec) peer_ = ep.address().to_string() + ":" + std::to_string(ep.port());
  shared_->connections.fetch_add(1);
}

ServerConnection::~ServerConnection() {
  nghttp2_session_del(session_);
  shared_->connections.fetch_sub(1);
}

asio::awaitable<void> ServerConnection::run() {
  auto self = shared_from_this();
  // A peer that never completes the TLS handshake, or never sends the preface and its SETTINGS, holds a
  // connection for nothing.
  preface_timer_.expires_after(shared_->opts.preface_timeout);
  preface_timer_.async_wait([weak = weak_from_this()](boost::system::error_code ec) {
    if (auto c = weak.lock(); c && !ec && !c->got_settings_) c->abort();
  });
  if (auto ec = co_await socket_.handshake()) {
    handshake_failed(ec);
    abort();
    co_return;
  }
  const nghttp2_settings_entry settings[] = {
      {NGHTTP2_SETTINGS_MAX_CONCURRENT_STREAMS, static_cast<uint32_t>(shared_->opts.max_concurrent_streams)},
      {NGHTTP2_SETTINGS_INITIAL_WINDOW_SIZE, static_cast<uint32_t>(kStreamWindow)},
      {NGHTTP2_SETTINGS_MAX_HEADER_LIST_SIZE, static_cast<uint32_t>(kMaxHeaderBytes)},
  };
  nghttp2_submit_settings(session_, NGHTTP2_FLAG_NONE, settings, std::size(settings));
  nghttp2_session_set_local_window_size(session_, NGHTTP2_FLAG_NONE, 0, kConnectionWindow);
  flush();
  last_active_ = Clock::now();
  if (shared_->opts.idle_timeout.count() > 0) asio::co_spawn(socket_.get_executor(), close_when_idle(self), asio::detached);
  std::vector<std::uint8_t> buf(16 * 1024);
  while (!ended_ && (nghttp2_session_want_read(session_) || nghttp2_session_want_write(session_))) {
    boost::system::error_code ec;
    const std::size_t n = co_await socket_.read_some(asio::buffer(buf), ec);
    if (ec == asio::error::eof && !ended_) {
      // The peer is done sending (a half-close), not gone: answer the calls it completed, reset the ones it
      // never will complete, then close (write_loop does, once no call runs).
      // Server streams end too: the peer can no longer open their flow-control windows (no WINDOW_UPDATE),
      // and one that never ends (a health Watch) would hold the connection for ever. A peer that closed its
      // socket without reading looks the same.
      peer_done_ = true;
      for (const auto& [id, st] : streams_) {
        if (st->responded || (st->running && !st->streaming)) continue;
        if (st->running) {
          st->responded = true;  // the reset is its answer
          st->ctx.cancel();
          st->cancel.emit(asio::cancellation_type::terminal);
          st->wake();
        }
        nghttp2_submit_rst_stream(session_, NGHTTP2_FLAG_NONE, id, NGHTTP2_CANCEL);
      }
      drain();
      boost::system::error_code ignored;
      while (!ended_) co_await closed_.async_wait(asio::redirect_error(asio::use_awaitable, ignored));  // abort() wakes it
      break;
    }
    if (ec || ended_) break;
    const auto used = nghttp2_session_mem_recv(session_, buf.data(), n);
    if (used < 0) {
      // A protocol error: nghttp2 has queued a GOAWAY where the protocol asks for one; send it, then close.
      shared_->log.debug("HTTP/2 protocol error; closing the connection", {{"peer", peer_}, {"error", nghttp2_strerror(static_cast<int>(used))}});
      flush();
      break;
    }
    flush();
  }
  // What is left to write (a GOAWAY) goes out in write_loop, which closes the socket when it is done.
  if (!writing_) abort();
  else ended_ = true;
  deadlines_.cancel();
  for (auto& [id, s] : streams_) {  // the connection is gone: so are its calls
    s->closed = true;
    if (s->running && !s->responded) {
      s->ctx.cancel();
      s->cancel.emit(asio::cancellation_type::terminal);
    }
  }
  streams_.clear();
}

// idle_timeout: a connection without a stream for that long gets a GOAWAY and closes (so an idle client
// does not hold a connection slot for ever). Checked every idle_timeout / 2 rather than re-armed per call.
asio::awaitable<void> ServerConnection::close_when_idle([[maybe_unused]] std::shared_ptr<ServerConnection> self) {
  const auto limit = shared_->opts.idle_timeout;
  while (!ended_) {
    idle_timer_.expires_after(std::max<Clock::duration>(limit / 2, std::chrono::milliseconds(1)));
    auto [ec] = co_await idle_timer_.async_wait(asio::as_tuple(asio::use_awaitable));
    if (ec || ended_) break;
    if (streams_.empty() && Clock::now() - last_active_ >= limit) {
      shared_->log.debug("idle connection closed", {{"peer", peer_}});
      drain();
      break;
    }
  }
}

// Calls past their client's deadline are answered DEADLINE_EXCEEDED and cancelled; returns the next deadline.
Clock::time_point ServerConnection::expire_deadlines(Clock::time_point now) {
  std::vector<std::shared_ptr<Stream>> due;
  auto next = Clock::time_point::max();
  for (const auto& [id, s] : streams_) {
    if (s->responded || s->closed || s->deadline == Clock::time_point::max()) continue;
    if (s->deadline <= now) due.push_back(s);
    else next = std::min(next, s->deadline);
  }
  for (const auto& s : due) {
    s->ctx.cancel();
    s->cancel.emit(asio::cancellation_type::terminal);
    respond(*s, Status(StatusCode::DeadlineExceeded, "deadline exceeded"), {});
  }
  return next;
}

void ServerConnection::drain() {
  if (ended_) return;
  nghttp2_submit_goaway(session_, NGHTTP2_FLAG_NONE, nghttp2_session_get_last_proc_stream_id(session_), NGHTTP2_NO_ERROR, nullptr, 0);
  flush();
}

void ServerConnection::abort() {
  ended_ = true;
  closed_.cancel();
  idle_timer_.cancel();
  deadlines_.cancel();
  socket_.close();
}

// A header the Context will not carry (not valid metadata, a -bin value that is not base64): counted, and
// logged at most once a second, as the HTTP server does.
void ServerConnection::header_dropped(std::string_view key) {
  if (shared_->dropped_headers) shared_->dropped_headers->inc();
  if (auto held = shared_->dropped_log.pass())
    shared_->log.warn("header not carried: not valid metadata", {{"header", key.substr(0, 64)}, {"peer", peer_}, {"suppressed", *held}});
}

void ServerConnection::handshake_failed(const boost::system::error_code& ec) {
  if (shared_->handshake_failures) shared_->handshake_failures->inc();
  if (auto held = shared_->handshake_log.pass())
    shared_->log.warn("TLS handshake failed", {{"peer", peer_}, {"error", ec.message()}, {"suppressed", *held}});
}

void ServerConnection::flush() {
  if (writing_ || !socket_.is_open()) return;
  writing_ = true;
  asio::co_spawn(socket_.get_executor(), write_loop(shared_from_this()), asio::detached);
}

// `self` keeps the connection alive while a write is in progress.
asio::awaitable<void> ServerConnection::write_loop([[maybe_unused]] std::shared_ptr<ServerConnection> self) {
  for (;;) {
    out_.clear();
    while (out_.size() < kWriteBatch) {
      const uint8_t* data = nullptr;
      const auto n = nghttp2_session_mem_send(session_, &data);
      if (n <= 0) break;
      out_.append(reinterpret_cast<const char*>(data), static_cast<std::size_t>(n));
    }
    if (out_.empty()) break;
    boost::system::error_code ec;
    co_await socket_.write(asio::buffer(out_), ec);
    if (ec) {
      ended_ = true;
      break;
    }
  }
  writing_ = false;
  // Nothing more to say or hear (GOAWAY sent and every stream done), the reader has ended, or the peer sends
  // nothing more and no call of its is still running: close.
  const bool calls_running = std::any_of(streams_.begin(), streams_.end(), [](const auto& e) { return e.second->running; });
  if (ended_ || (!nghttp2_session_want_read(session_) && !nghttp2_session_want_write(session_)) || (peer_done_ && !calls_running)) abort();
}

void ServerConnection::dispatch(const std::shared_ptr<Stream>& sp) {
  Stream& s = *sp;
  if (!s.post || !s.grpc_content_type) {
    respond(s, Status(StatusCode::Internal, "not a gRPC request (POST with content-type application/grpc)"), {});
    return;
  }
  if (s.shed) {
    if (shared_->shed) shared_->shed->inc();
    respond(s, Status(StatusCode::Unavailable, "server overloaded: " + std::to_string(shared_->opts.max_in_flight) + " calls in flight")
                   .with_retry_after(std::chrono::milliseconds(1000)),
            {});
    return;
  }
  if (!s.method) {
    respond(s, Status(StatusCode::Unimplemented, "unknown method " + s.path.substr(0, 256)), {});
    return;
  }
  if (!s.bidi() && (s.reader.partial() || s.reader.messages().size() != 1)) {
    respond(s, Status(StatusCode::Internal, s.reader.messages().empty() ? "the call needs one request message"
                                                                        : "the call takes one request message, not more"),
            {});
    return;
  }
  s.streaming = s.method->stream || s.method->bidi;
  for (auto& [k, v] : s.metadata) {
    if (k == "x-request-id") {
      if (!s.ctx.set_request_id(v)) header_dropped(k);
      continue;
    }
    if (!valid_metadata_key(k) || !valid_metadata_value(k, v)) {  // (checked here to keep k for the log)
      header_dropped(k);
      continue;
    }
    s.ctx.add_metadata(std::move(k), std::move(v));
  }
  if (s.ctx.request_id().empty()) s.ctx.set_request_id(new_request_id());
  if (s.timeout) {
    s.ctx.set_timeout(std::chrono::duration_cast<Clock::duration>(*s.timeout));
    // The client's deadline is ours too: past it the call is answered DEADLINE_EXCEEDED and cancelled.
    s.deadline = s.ctx.deadline().value_or(Clock::time_point::max());
    deadlines_.watch(s.deadline, weak_from_this());
  }
  if (s.method->traced) {
    s.span = trace::Span::server(std::string_view(s.path).substr(1), s.traceparent);
    s.ctx.set_span(s.span.context());
    if (s.span.recording()) {
      s.span.tag("rpc.system", "grpc");
      s.span.set_remote(peer_);
    }
  }
  s.running = true;
  shared_->in_flight.fetch_add(1, std::memory_order_relaxed);
  asio::co_spawn(socket_.get_executor(), run_handler(sp),
                 asio::bind_cancellation_slot(s.cancel.slot(), [self = shared_from_this(), sp](std::exception_ptr) {
                   if (sp->running) {  // cancelled before it answered
                     sp->running = false;
                     self->shared_->in_flight.fetch_sub(1, std::memory_order_relaxed);
                   }
                 }));
}

asio::awaitable<void> ServerConnection::run_handler(std::shared_ptr<Stream> sp) {
  auto self = shared_from_this();
  Stream& s = *sp;
  const WireMethod& method = *s.method;
  WireReply reply;
  try {
    if (method.bidi) {
      StreamReader in(*this, sp);
      StreamWriter out(*this, sp);
      reply.status = co_await method.bidi(s.ctx, in, out);
    } else if (method.stream) {
      StreamWriter out(*this, sp);
      reply.status = co_await method.stream(s.ctx, s.reader.messages().front(), out);
    } else {
      reply = co_await method.unary(s.ctx, s.reader.messages().front());
    }
  } catch (const std::exception& e) {
    // A cancelled call's waits throw operation_aborted (asio's default for a cancelled coroutine): not an error.
    if (!s.ctx.cancelled())
      shared_->log.error("handler threw", {{"method", s.path}, {"error", e.what()}, {"request_id", s.ctx.request_id()}});
    reply.status = s.ctx.cancelled() ? Status(StatusCode::Cancelled, "cancelled") : internal_error("internal error");
  }
  s.running = false;
  shared_->in_flight.fetch_sub(1, std::memory_order_relaxed);
  if (s.span.recording()) {
    s.span.tag("grpc.status_code", std::to_string(static_cast<int>(reply.status.code())));
    s.span.end(reply.status);
  }
  if (!s.responded && !s.closed && !ended_) respond(s, reply.status, std::move(reply.payload));
  else if (peer_done_) flush();  // the last call of a half-closed peer may have ended: write_loop closes then
}

// The call's end: a unary reply (HEADERS, the message, trailers), a server stream's trailers after its
// messages, or an error before any message (Trailers-Only).
void ServerConnection::respond(Stream& s, Status status, std::string payload) {
  if (s.responded || s.closed) return;
  s.responded = true;
  s.wake();
  const std::string code = std::to_string(static_cast<int>(status.code()));
  if (s.headers_sent) {  // a server stream: the trailers follow the messages already queued
    s.trailers = {{"grpc-status", code}};
    if (!status.ok()) s.trailers.emplace_back("grpc-message", percent_encode_message(status.message()));
    if (auto after = status.retry_after(); after && !status.ok()) s.trailers.emplace_back(kPushbackTrailer, std::to_string(after->count()));
    nghttp2_session_resume_data(session_, s.id);
  } else if (status.ok()) {
    if (!s.streaming) s.body = frame_message(payload);
    s.trailers = {{"grpc-status", "0"}};
    submit_headers(s);
  } else {
    // Trailers-Only: one HEADERS frame that ends the stream.
    const std::string message = percent_encode_message(status.message());
    std::string pushback;
    std::vector<nghttp2_nv> nv = {header(":status", "200"), header("content-type", "application/grpc"), header("grpc-status", code),
                                  header("grpc-message", message)};
    if (auto after = status.retry_after()) {
      pushback = std::to_string(after->count());
      nv.push_back(header(kPushbackTrailer, pushback));
    }
    nghttp2_submit_response(session_, s.id, nv.data(), nv.size(), nullptr);  // nghttp2 copies the headers
  }
  flush();
}

// HEADERS with a body to follow (read_body gives it, then the trailers).
void ServerConnection::submit_headers(Stream& s) {
  s.headers_sent = true;
  const nghttp2_nv nv[] = {header(":status", "200"), header("content-type", "application/grpc")};
  nghttp2_data_provider body{};
  body.source.ptr = &s;
  body.read_callback = &Callbacks::read_body;
  nghttp2_submit_response(session_, s.id, nv, std::size(nv), &body);
}

// A server stream's message: queued on its body, sent as the client's flow control allows. Waits while
// more than kStreamBuffer is queued; false once the stream is over.
asio::awaitable<bool> ServerConnection::write_message(std::shared_ptr<Stream> sp, std::string message) {
  Stream& s = *sp;
  auto over = [&] { return s.closed || s.responded || ended_; };
  while (!over() && s.unsent() > kStreamBuffer) {
    if (!s.drained) s.drained.emplace(socket_.get_executor(), Clock::time_point::max());
    boost::system::error_code ignored;
    co_await s.drained->async_wait(asio::redirect_error(asio::use_awaitable, ignored));  // read_body or the end wakes it
  }
  if (over()) co_return false;
  if (message.size() > shared_->opts.max_message_bytes) {
    respond(s, Status(StatusCode::ResourceExhausted, "reply message of " + std::to_string(message.size()) + " bytes is over the limit of " +
                                                         std::to_string(shared_->opts.max_message_bytes)),
            {});
    co_return false;
  }
  if (s.sent > 0 && s.sent >= s.unsent()) {  // what the client has taken is dropped, so a long stream does not grow its buffer
    s.body.erase(0, s.sent);
    s.sent = 0;
  }
  s.body += frame_message(message);
  if (!s.headers_sent) submit_headers(s);
  else nghttp2_session_resume_data(session_, s.id);
  flush();
  co_return true;
}

const WireMethod* ServerConnection::find_method(const std::string& path) const {
  auto it = shared_->methods.find(path);
  return it == shared_->methods.end() ? nullptr : &it->second;
}

// A client stream's DATA while its handler runs: messages queue for read_message. One over the limit (or
// not framed as gRPC's) ends the call with its error, and the client is told to stop sending.
void ServerConnection::take_client_message(Stream& s, std::string_view bytes) {
  if (Status st = s.reader.feed(bytes); !st.ok()) {
    s.ctx.cancel();
    s.cancel.emit(asio::cancellation_type::terminal);
    respond(s, st, {});  // (on_frame_send stops its upload)
    return;
  }
  s.held += bytes.size();
  release_window(s);
  if (s.reader.has_message()) s.wake();
}

// The client half-closed its stream: the handler reads what is queued, then the end. A last message cut
// short is an error, as gRPC's servers answer it.
void ServerConnection::client_done(Stream& s) {
  s.half_closed = true;
  s.wake();
  if (!s.reader.partial() || s.responded) return;
  s.ctx.cancel();
  s.cancel.emit(asio::cancellation_type::terminal);
  respond(s, Status(StatusCode::Internal, "the client's last message was cut short"), {});
}

// A client stream's handler is behind by more than kStreamBuffer: the stream's window stays shut until it
// catches up.
void ServerConnection::release_window(Stream& s) {
  if (s.held == 0 || s.reader.waiting_bytes() > kStreamBuffer || s.closed) return;
  nghttp2_session_consume_stream(session_, s.id, s.held);
  s.held = 0;
  flush();
}

// The next message of a client stream, waiting for it; nullopt at its end (see WireStreamReader::read).
asio::awaitable<std::optional<std::string>> ServerConnection::read_message(std::shared_ptr<Stream> sp) {
  Stream& s = *sp;
  for (;;) {
    if (s.responded || s.closed || ended_) co_return std::nullopt;
    if (auto m = s.reader.take()) {
      release_window(s);
      co_return m;
    }
    if (s.half_closed) co_return std::nullopt;
    if (!s.arrived) s.arrived.emplace(socket_.get_executor(), Clock::time_point::max());
    boost::system::error_code ignored;
    co_await s.arrived->async_wait(asio::redirect_error(asio::use_awaitable, ignored));  // a message or the end wakes it
  }
}

}  // namespace svckit::grpc::wire
