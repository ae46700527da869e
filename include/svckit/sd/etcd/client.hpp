// svckit/sd/etcd/client.hpp — svckit's own etcd v3 client: one member at a time, one Watch stream
// multiplexing every watch, one keepalive stream for every lease.
//
//   auto etcd = svckit::sd::etcd::Client::create({.endpoints = {"127.0.0.1:2379", "127.0.0.1:22379"}});
//   auto lease = co_await etcd->grant(std::chrono::seconds(10));
//   co_await etcd->put("/services/users/10.0.0.5:8080", "10.0.0.5:8080", lease->id);
//   etcd->keep_alive(lease->id, [](std::int64_t ttl) { if (ttl <= 0) { /* lost: grant and put again */ } });
//
// Requests and streams go to one member (picked at random, so a fleet spreads over the cluster) until it
// fails; then all of them move to the next member. A member fails when it is unreachable, answers "no
// leader" (etcd's "hasleader" metadata makes a member cut off from the leader end our streams), or leaves
// a request attempt (a third of request_timeout), a lease refresh or a watch probe unanswered for
// answer_timeout: a frozen or partitioned member keeps its connections open, and waiting for TCP or HTTP/2
// keepalive to notice would outlast the leases. Watches resume on the new member from the revision after
// the last one seen (no event lost or repeated); leases are refreshed there at once. An endpoint given as a
// host name stands for every address it resolves to (one name for the whole cluster works), and names are
// resolved again each time the client has failed over every member, so a member that moved is found. Broken streams come back with jittered
// exponential backoff; each state change (lost, restored) is logged once, not every retry.
// Optional username/password authentication (the token is refreshed when etcd rejects it) and TLS.
//
// Ownership and threads: Client::create returns a shared_ptr; registrars and instancers share it. The client
// runs its own thread; watch and keepalive callbacks run there, so they must be quick and must not block.
// The awaitable operations may be awaited from any executor (they resume there). Do not drop the last
// reference to a Client from inside one of its callbacks.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>

#include "svckit/result.hpp"

namespace svckit::sd::etcd {

struct Options {
  std::vector<std::string> endpoints{"127.0.0.1:2379"};  // host:port of each cluster member
  std::string username;  // optional authentication
  std::string password;
  std::string ca_file;    // TLS when set: PEM CA bundle to verify the members
  std::string cert_file;  // optional client certificate and key (PEM) for mutual TLS
  std::string key_file;
  std::chrono::milliseconds request_timeout{5000};  // each unary request (an attempt gets a third of it)
  /// How long a member may leave a lease refresh or a watch probe unanswered before the client leaves it
  /// for the next member (for refreshes, at most a sixth of the shortest TTL kept alive). A watch stream that
  /// has been quiet this long is probed (etcd's progress request).
  std::chrono::milliseconds answer_timeout{1500};
  std::chrono::milliseconds backoff_initial{50};    // first reconnect delay of a stream
  std::chrono::milliseconds backoff_max{2000};      // longest reconnect delay
};

struct KeyValue {
  std::string key;
  std::string value;
  std::int64_t create_revision = 0;
  std::int64_t mod_revision = 0;
  std::int64_t lease = 0;
};

struct GetResult {
  std::vector<KeyValue> kvs;
  std::int64_t revision = 0;  // the store's revision when the read happened
};

struct Lease {
  std::int64_t id = 0;
  std::int64_t ttl = 0;  // seconds, as granted
};

struct WatchEvent {
  enum class Type { Put, Delete };
  Type type = Type::Put;
  KeyValue kv;  // for a delete, only key and mod_revision are set
};

/// What a watch callback receives: events, or a status change of the watch.
struct WatchUpdate {
  std::vector<WatchEvent> events;
  std::int64_t revision = 0;  // header revision of the response
  /// OK with events; Unavailable when the stream broke (the watch resumes by itself from the next
  /// revision; OK again once it does); OutOfRange when the history to resume from was compacted, or went
  /// back (a cluster restored from an older snapshot): the watch is then over, re-read the keys and watch
  /// again from the new revision.
  Status status;
};

/// The key that ends the range of every key starting with prefix (etcd's "range_end" for a prefix).
std::string prefix_range_end(std::string_view prefix);

class Client {
 public:
  static std::shared_ptr<Client> create(Options options);
  ~Client();
  Client(const Client&) = delete;
  Client& operator=(const Client&) = delete;

  const Options& options() const;
  /// The client's own thread; callbacks run here.
  boost::asio::any_io_executor executor() const;
  /// The member (ip:port; a name given in endpoints stands for each address it resolves to) requests and
  /// streams go to now.
  std::string member() const;

  boost::asio::awaitable<Result<GetResult>> get(std::string key);
  boost::asio::awaitable<Result<GetResult>> get_prefix(std::string prefix);
  /// Returns the revision of the put.
  boost::asio::awaitable<Result<std::int64_t>> put(std::string key, std::string value, std::int64_t lease = 0);
  /// Deletes one key; returns how many keys were deleted (0 or 1).
  boost::asio::awaitable<Result<std::int64_t>> erase(std::string key);
  boost::asio::awaitable<Result<std::int64_t>> erase_prefix(std::string prefix);
  boost::asio::awaitable<Result<Lease>> grant(std::chrono::seconds ttl);
  /// Revokes a lease; its keys disappear. Revoking an unknown lease is not an error.
  boost::asio::awaitable<Status> revoke(std::int64_t lease);
  /// Seconds the lease has left (etcd's LeaseTimeToLive); NotFound once it expired or was revoked.
  boost::asio::awaitable<Result<std::int64_t>> time_to_live(std::int64_t lease);
  boost::asio::awaitable<Status> compact(std::int64_t revision);

  /// Keeps a lease alive on the shared keepalive stream (a refresh every ttl/3) until forget_lease().
  /// The callback gets each new TTL; a TTL ≤ 0 means etcd no longer knows the lease (it expired or was
  /// revoked): it is then forgotten, and the owner must grant a new one.
  using LeaseCallback = std::function<void(std::int64_t ttl)>;
  void keep_alive(std::int64_t lease, std::chrono::seconds ttl, LeaseCallback callback);
  void forget_lease(std::int64_t lease);

  /// Watches a key (or every key under a prefix) from start_revision (0: from now) on the shared Watch
  /// stream. Returns an id for cancel_watch().
  using WatchCallback = std::function<void(const WatchUpdate&)>;
  std::int64_t watch(std::string key, bool prefix, std::int64_t start_revision, WatchCallback callback);
  void cancel_watch(std::int64_t id);

  struct Impl;

 private:
  explicit Client(std::unique_ptr<Impl> impl);
  /// The shared_ptr's deleter: closes the client and waits for its thread; released on that thread itself,
  /// hands the deletion to it (after its last call and coroutine have finished).
  static void release(Client* client);
  std::unique_ptr<Impl> impl_;
};

}  // namespace svckit::sd::etcd
