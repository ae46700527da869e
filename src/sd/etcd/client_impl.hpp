// Private to the etcd backend: the state behind sd::etcd::Client. Everything except the unary calls and
// the token lives on the client's own thread (io_), so the watch and keepalive machinery needs no locks.
#pragma once

#include <map>
#include <mutex>
#include <set>
#include <thread>

#include <boost/asio/awaitable.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <grpcpp/channel.h>

#include "members.hpp"
#include "rpc.pb.h"
#include "svckit/log.hpp"
#include "svckit/sd/etcd/client.hpp"
#include "svckit/transport/grpc/stream.hpp"

namespace svckit::sd::etcd {

/// Exponential backoff with full jitter between initial and max.
class Backoff {
 public:
  Backoff(std::chrono::milliseconds initial, std::chrono::milliseconds max) : initial_(initial), max_(max) {}
  std::chrono::milliseconds next();
  void reset() { attempt_ = 0; }

 private:
  std::chrono::milliseconds initial_, max_;
  int attempt_ = 0;
};

/// Whether a stream's member still answers: the oldest question (a refresh, a watch create or probe) not
/// answered yet, and when the stream last heard anything.
class AnswerClock {
 public:
  using clock = std::chrono::steady_clock;
  void reset(clock::time_point now) { heard_at_ = now, asked_at_ = {}; }
  void asked(clock::time_point now) { if (!waiting()) asked_at_ = now; }
  void heard(clock::time_point now) { heard_at_ = now, asked_at_ = {}; }
  bool waiting() const { return asked_at_ != clock::time_point{}; }
  clock::time_point asked_at() const { return asked_at_; }
  clock::time_point heard_at() const { return heard_at_; }

 private:
  clock::time_point heard_at_{}, asked_at_{};
};

struct Client::Impl {
  explicit Impl(Options o);

  // --- unary calls (any thread) ---
  template <class Resp, class Req>
  boost::asio::awaitable<Result<Resp>> call(const std::string& method, const Req& req);
  boost::asio::awaitable<Status> authenticate();
  /// A failure worth another attempt on another member: unavailable (down, "no leader") or no answer in time.
  static bool member_failure(StatusCode code) {
    return code == StatusCode::Unavailable || code == StatusCode::DeadlineExceeded;
  }
  std::vector<std::pair<std::string, std::string>> call_metadata();
  grpc::BidiStream::Metadata stream_metadata();

  // --- life cycle (client thread) ---
  /// Sleeps unless the client closes first; false if it closed.
  boost::asio::awaitable<bool> sleep(std::chrono::milliseconds d);
  void close();  // cancels streams and sleeps; the coroutines then end
  /// Ends the streams that are not on the current member (they reopen on it). Runs after every move.
  void move_streams();

  // --- watches (client thread) ---
  struct Watch {
    std::string key, range_end;
    std::int64_t next_revision = 0;  // where to resume after a reconnect
    WatchCallback callback;
    bool broken = false;             // we told the callback the stream is gone
  };
  void add_watch(std::int64_t id, Watch w);
  void remove_watch(std::int64_t id);
  void send_watch_create(std::int64_t id, const Watch& w);
  boost::asio::awaitable<void> run_watch_stream();
  void on_watch_response(const etcdserverpb::WatchResponse& resp);
  void tell_watches_broken(const Status& why);
  /// A member resumed a watch at a revision below one the watch had reached: a member that lags (it
  /// catches up) or a history that went back (a cluster restored from a snapshot, where new writes reuse
  /// revisions the watch has passed and would never deliver). Asks the cluster for its revision and ends
  /// the watches that are ahead of it with OutOfRange, so their owners read again.
  boost::asio::awaitable<void> check_history();
  bool history_check_running = false;
  /// Probes a watch stream that has been quiet for answer_timeout; leaves its member when a probe (or the
  /// creates) go unanswered that long.
  boost::asio::awaitable<void> watch_watchdog(std::shared_ptr<grpc::BidiStream> stream, Members::MemberPtr member);

  // --- leases (client thread) ---
  struct KeptLease {
    std::chrono::seconds ttl;
    std::chrono::steady_clock::time_point next_refresh;
    LeaseCallback callback;
  };
  void add_lease(std::int64_t id, KeptLease l);
  boost::asio::awaitable<void> run_keepalive_stream();
  boost::asio::awaitable<void> send_keepalives(std::shared_ptr<grpc::BidiStream> stream, Members::MemberPtr member);
  /// How long a refresh may go unanswered: answer_timeout, and at most a sixth of the shortest TTL.
  std::chrono::milliseconds refresh_answer_timeout() const;

  Options opts;
  log::Logger log{"etcd"};
  std::unique_ptr<Members> members;

  std::mutex token_mu;
  std::string token;  // auth token, when username is set

  boost::asio::io_context io{1};
  boost::asio::executor_work_guard<boost::asio::io_context::executor_type> work{io.get_executor()};
  std::thread thread;
  // Set (on this thread) when the last owner released the client on this thread: the thread deletes it
  // once run() has returned (Client::release).
  Client* delete_when_done = nullptr;

  bool closed = false;
  std::set<boost::asio::steady_timer*> sleeping;

  std::map<std::int64_t, Watch> watches;
  std::shared_ptr<grpc::BidiStream> watch_stream;
  Members::MemberPtr watch_member;  // where watch_stream is open
  AnswerClock watch_clock;
  bool watch_ended_by_us = false;  // by the watchdog or a move: reopen at once, no backoff
  bool watch_stream_running = false;

  std::map<std::int64_t, KeptLease> leases;
  std::shared_ptr<grpc::BidiStream> keepalive_stream;
  Members::MemberPtr keepalive_member;  // where keepalive_stream is open
  AnswerClock keepalive_clock;
  bool keepalive_ended_by_us = false;  // by the watchdog or a move: reopen at once, no backoff
  bool keepalive_running = false;
  boost::asio::steady_timer keepalive_wake{io};  // cancelled to make the sender look at leases again
};

}  // namespace svckit::sd::etcd
