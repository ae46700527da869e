// One HTTP/2 connection of svckit's own gRPC client (svckit/transport/grpc/wire_channel.hpp) to one server:
// nghttp2 reads and writes the frames, this class runs unary calls over its streams. Lives on the io thread
// of the io_context it was made for; every member is touched only there, so nothing here locks.
#pragma once

#include <chrono>
#include <functional>
#include <optional>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

#include <boost/asio/awaitable.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/asio/steady_timer.hpp>

#include "deadline_timer.hpp"
#include "socket.hpp"
#include "svckit/result.hpp"
#include "svckit/transport/grpc/wire_channel.hpp"
#include "svckit/transport/grpc/wire_stream.hpp"

struct nghttp2_session;

namespace svckit::grpc::wire {

/// What one call sends.
struct OutgoingCall {
  std::string path;                                          // "/pkg.Service/Method"
  std::vector<std::pair<std::string, std::string>> metadata;  // valid (metadata.hpp), -bin values in base64
  std::string body;                                          // the framed message (frame_message)
  std::chrono::steady_clock::time_point deadline;
};

/// Where a server stream's messages go, one at a time: the next is handed over once this returns; false
/// ends the call (its stream is reset).
using MessageSink = std::function<boost::asio::awaitable<bool>(std::string message)>;

class ClientConnection : public std::enable_shared_from_this<ClientConnection> {
 public:
  /// tls: the channel's client context (ALPN h2 offered); null: plaintext.
  ClientConnection(boost::asio::io_context& io, std::string host, std::string port, const WireChannelOptions& opts,
                   std::shared_ptr<boost::asio::ssl::context> tls = nullptr);
  ~ClientConnection();
  ClientConnection(const ClientConnection&) = delete;
  ClientConnection& operator=(const ClientConnection&) = delete;

  /// Runs one call to its end (connecting first if needed): the reply's message, or why not.
  boost::asio::awaitable<Result<std::string>> unary(const OutgoingCall& call);
  /// Runs one server-streaming call to its end: each message to sink, in order, then the call's status.
  /// While more than 256 KiB of messages wait for the sink, the stream's flow-control window stays shut,
  /// so a slow sink holds up the server, not this process's memory.
  boost::asio::awaitable<Status> server_stream(const OutgoingCall& call, const MessageSink& sink);
  /// Runs one client- or bidirectional-streaming call (call.body empty): drive writes and reads on this
  /// connection's thread; then the call's status (read to the end for the server's; a stream still open
  /// when drive returns is reset: CANCELLED).
  boost::asio::awaitable<Status> bidi_stream(const OutgoingCall& call, const WireStreamDriver& drive);
  /// False once it has closed, failed to connect or been told to go away: new calls need a new connection.
  bool usable() const { return state_ != State::closed && !going_away_; }
  /// It never connected (the backoff before the next attempt is the channel's).
  bool connect_failed() const { return connect_failed_; }
  bool connected_once() const { return connected_once_; }
  /// The server sent GOAWAY "too_many_pings": the channel's next connections ping half as often.
  bool told_too_many_pings() const { return too_many_pings_; }
  /// This connection's keepalive_time (the channel's, doubled for each "too_many_pings").
  std::chrono::milliseconds keepalive_time() const { return opts_.keepalive_time; }
  /// The peer's address, once connected ("127.0.0.1:8081").
  const std::string& peer() const { return peer_; }
  /// Closes it now: calls in flight fail with UNAVAILABLE. On the connection's thread.
  void close(Status why);

  struct Stream;
  class StreamReader;
  class StreamWriter;
  struct ResetIfOpen;

 private:
  enum class State { idle, connecting, ready, closed };
  friend struct ClientCallbacks;
  boost::asio::awaitable<void> connect_and_read(std::shared_ptr<ClientConnection> self);
  boost::asio::awaitable<std::string> establish(const boost::asio::ip::tcp::resolver::results_type& endpoints);
  boost::asio::awaitable<void> write_loop(std::shared_ptr<ClientConnection> self);
  boost::asio::awaitable<void> keepalive(std::shared_ptr<ClientConnection> self);
  std::chrono::steady_clock::time_point next_ping_at() const;
  boost::asio::awaitable<std::optional<Status>> start(const std::shared_ptr<Stream>& s, const OutgoingCall& call);
  boost::asio::awaitable<Result<std::string>> await_reply(const std::shared_ptr<Stream>& s);
  void release_window(Stream& s);
  boost::asio::awaitable<std::optional<std::string>> next_message(Stream& s);
  boost::asio::awaitable<bool> send_message(Stream& s, std::string message);
  void close_sending(Stream& s);
  bool submit(const std::shared_ptr<Stream>& s, const OutgoingCall& call);
  void flush();
  void finish(Stream& s, Status status);
  void reset(Stream& s);
  std::chrono::steady_clock::time_point expire_deadlines(std::chrono::steady_clock::time_point now);
  bool preface_checked(std::string_view bytes);

  boost::asio::io_context& io_;
  std::string host_, port_;
  std::string authority_;  // host:port as HTTP/2's :authority ("[v6]:port")
  WireChannelOptions opts_;
  std::shared_ptr<boost::asio::ssl::context> tls_;  // before socket_, which uses it
  std::string tls_name_;                             // the name the server's certificate must have
  Socket socket_;
  boost::asio::steady_timer keepalive_timer_;
  DeadlineTimer deadlines_;  // the calls' deadlines
  nghttp2_session* session_ = nullptr;
  State state_ = State::idle;
  Status close_reason_;
  bool going_away_ = false;
  bool connect_failed_ = false;
  bool connected_once_ = false;
  std::vector<std::shared_ptr<Stream>> waiting_;  // calls waiting for the connect
  std::unordered_map<std::int32_t, std::shared_ptr<Stream>> streams_;
  std::string peer_;
  std::string preface_;  // the server's first 9 bytes, until checked
  std::string out_;  // bytes nghttp2 produced, being written
  bool writing_ = false;
  std::chrono::steady_clock::time_point last_read_;
  std::chrono::steady_clock::time_point last_ping_;  // the last keepalive ping sent
  int pings_without_data_ = 0;                       // keepalive pings since the server last sent HEADERS or DATA
  bool too_many_pings_ = false;
};

}  // namespace svckit::grpc::wire
