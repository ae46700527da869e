// svckit/sd/etcd/instancer.hpp — the instances registered under an etcd prefix, kept current by a watch.
//
//   auto etcd = svckit::sd::etcd::Client::create({.endpoints = {"127.0.0.1:2379"}});
//   auto instancer = svckit::sd::etcd::Instancer::create(etcd, "/services/notificator/");
//   auto sub = instancer->subscribe(ex, [](const svckit::sd::InstanceUpdate& u) { ... });
//
// It reads the prefix once (revision R), then watches from R+1 on the client's shared Watch stream and
// applies each event on its own (O(1) per event, never a re-list). If the stream breaks it resumes from
// the next revision; only when that history was compacted does it re-read the prefix and publish the
// difference. While etcd is unreachable subscribers keep the last known set and see the error in
// InstanceUpdate::status. Values that are neither host:port nor the JSON form (or, with parse_go_micro_instance,
// not a go-micro service) are skipped with one log line.
// Destroying it waits for a watch event it is handling, so the instancer (and the client it holds) is
// released by its owner, never on the client's thread.
#pragma once

#include <atomic>
#include <memory>
#include <string>

#include "svckit/log.hpp"
#include "svckit/sd/etcd/client.hpp"
#include "svckit/sd/instancer.hpp"

namespace svckit::sd::etcd {

class Instancer final : public sd::Instancer {
 public:
  /// How a value becomes an instance: parse_instance, or parse_go_micro_instance (svckit/sd/go_micro.hpp).
  using ValueParser = Result<sd::Instance> (*)(std::string_view key, std::string_view value);
  static std::shared_ptr<Instancer> create(std::shared_ptr<Client> client, std::string prefix,
                                           ValueParser parse = &parse_instance);
  ~Instancer() override;

  const std::string& prefix() const { return prefix_; }
  /// The etcd revision the current set reflects (0 before the first read).
  std::int64_t revision() const { return revision_.load(); }

  struct Private;
  Instancer(Private, std::shared_ptr<Client> client, std::string prefix, ValueParser parse);
  struct Gate;

 private:
  friend struct InstancerSync;
  void start();
  void load(const GetResult& r);
  void on_watch(const WatchUpdate& u);

  std::shared_ptr<Client> client_;
  std::string prefix_;
  ValueParser parse_;
  std::atomic<std::int64_t> revision_{0};
  std::atomic<std::int64_t> watch_id_{0};
  log::Logger log_{"instancer"};
  std::shared_ptr<void> retry_timer_;  // an asio timer on the client's thread, cancelled on destruction
  std::shared_ptr<Gate> gate_;         // how the client's thread calls in without owning us
};

}  // namespace svckit::sd::etcd
