// The ZooKeeper session behind a zk:// registry: one at a time, replaced when the ensemble expires it, and
// one thread that every user of it works on. Built on the C client (libzookeeper-mt), whose own two threads
// (I/O and completions) only hand results over to ours.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include <boost/asio/any_io_executor.hpp>

#include "svckit/status.hpp"

namespace svckit::sd::zk {

/// A ZooKeeper return code as text ("connection loss", "node does not exist").
std::string error_text(int rc);

class Client {
 public:
  struct Options {
    std::vector<std::string> hosts;      // host:port each
    std::string username, password;      // digest authentication when set
    std::chrono::milliseconds session_timeout{10000};
  };
  static std::shared_ptr<Client> create(Options options);
  ~Client();
  Client(const Client&) = delete;
  Client& operator=(const Client&) = delete;

  /// The client's thread: every callback below runs there, and every member below is called there.
  boost::asio::any_io_executor executor() const;

  /// A user of the session, told what happens to it (on the client's thread).
  class Listener {
   public:
    virtual ~Listener() = default;
    /// Connected. `new_session`: the first connection, or one after expiry — ephemeral nodes and watches
    /// of the old session are gone.
    virtual void on_connected(bool new_session) = 0;
    /// The connection is lost (the session may live on) or the session expired (a new one is being opened).
    virtual void on_disconnected(const Status& why) = 0;
    /// A watch fired: `type` is ZOO_CHILD_EVENT, ZOO_CREATED_EVENT, ZOO_DELETED_EVENT or ZOO_CHANGED_EVENT.
    virtual void on_node_event(int type, const std::string& path) = 0;
  };
  /// Listens until the listener is destroyed. If connected, on_connected(true) follows at once.
  void add_listener(std::weak_ptr<Listener> listener);
  bool connected() const;

  // Operations; `done` gets ZooKeeper's return code (ZOK, ZNONODE, ZNODEEXISTS, ZCONNECTIONLOSS, …).
  // A watch set here fires as on_node_event for `path`.
  void create(const std::string& path, const std::string& data, bool ephemeral_sequential,
              std::function<void(int rc, std::string created)> done);
  /// Creates every missing persistent ancestor of `path` (not `path` itself).
  void create_parents(const std::string& path, std::function<void(int rc)> done);
  void remove(const std::string& path, std::function<void(int rc)> done);
  void children(const std::string& path, bool watch, std::function<void(int rc, std::vector<std::string>)> done);
  void get(const std::string& path, std::function<void(int rc, std::string data)> done);
  void exists(const std::string& path, bool watch, std::function<void(int rc)> done);

  struct Impl;

 private:
  explicit Client(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace svckit::sd::zk
