// Private to the etcd backend: the cluster's members, one gRPC channel each, and the one the client talks
// to now. gRPC's own pick-first over every member stays on a member as long as its TCP connection is open,
// so a frozen or partitioned member (connection open, no answers) held every request and stream until HTTP/2
// keepalive noticed, 15 s later: longer than a lease lives. Here the client itself decides when to leave a
// member (an unanswered request, refresh or probe; "no leader"; unavailable) and moves everything to the next.
//
// An endpoint given as a host name stands for every address it resolves to (one name for the whole cluster
// is common): each address is a member of its own. Names are resolved again, without blocking, each time
// the client has failed over every member, so a member that moved to another address is found.
#pragma once

#include <atomic>
#include <cstddef>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include <boost/asio/any_io_executor.hpp>
#include <grpcpp/channel.h>
#include <grpcpp/security/credentials.h>
#include <grpcpp/support/channel_arguments.h>

#include "svckit/log.hpp"

namespace svckit::sd::etcd {

class Members {
 public:
  struct Member {
    std::string endpoint;  // as given (host:port), for logs and Client::member()
    std::string address;   // the resolved address (ip:port), or the endpoint while a name does not resolve
    std::shared_ptr<::grpc::Channel> channel;
    mutable std::atomic<bool> answered{false};  // since its last failure
  };
  using MemberPtr = std::shared_ptr<const Member>;

  /// Resolves every name once (blocking, like any start-up). Throws std::invalid_argument when endpoints is
  /// empty or an endpoint is not host:port. The first member used is picked at random, so the processes of
  /// a fleet spread over the cluster. Re-resolution runs on ex (asio's resolver thread does the lookup).
  Members(const std::vector<std::string>& endpoints, std::shared_ptr<::grpc::ChannelCredentials> creds,
          ::grpc::ChannelArguments args, boost::asio::any_io_executor ex);

  /// The member to talk to now (any thread).
  MemberPtr current() const;
  /// The member answered: a later failure of it is news worth a warning.
  void answered(const MemberPtr& m) const { m->answered.store(true, std::memory_order_relaxed); }
  /// The member failed (why says how). If it is still the current one, the next member becomes current
  /// and on_move runs (on the calling thread); true then. A failure of a member already left, or reported
  /// by a second caller at the same time, moves nothing. After a full round, names are resolved again.
  bool failed(const MemberPtr& m, std::string_view why);

  /// Runs after every move (set once, before use): the client moves its streams.
  std::function<void()> on_move;

 private:
  MemberPtr make_member(const std::string& endpoint, const std::string& address);
  /// The members an endpoint stands for, from its resolved addresses (keeping the channels of addresses
  /// already known).
  void add_members(std::vector<MemberPtr>& out, const std::string& endpoint, const std::vector<std::string>& addresses);
  void resolve_again();
  void replace_members(std::vector<MemberPtr> list);

  std::vector<std::string> endpoints_;
  std::shared_ptr<::grpc::ChannelCredentials> creds_;
  ::grpc::ChannelArguments args_;
  boost::asio::any_io_executor ex_;
  log::Logger log_{"etcd"};

  mutable std::mutex mu_;
  std::vector<MemberPtr> list_;  // guarded by mu_
  std::size_t current_ = 0;      // guarded by mu_
  bool resolving_ = false;       // guarded by mu_
};

/// The gRPC target of one address: "ipv4:…" / "ipv6:…" for an IP address, "dns:///host:port" otherwise.
std::string member_target(std::string_view address);

}  // namespace svckit::sd::etcd
