// Private to the etcd backend: the cluster's members, one gRPC channel each, and the one the client talks
// to now. gRPC's own pick-first over every member stays on a member as long as its TCP connection is open,
// so a frozen or partitioned member (connection open, no answers) held every request and stream until HTTP/2
// keepalive noticed, 15 s later: longer than a lease lives. Here the client itself decides when to leave a
// member (an unanswered request, refresh or probe; "no leader"; unavailable) and moves everything to the next.
#pragma once

#include <atomic>
#include <cstddef>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include <grpcpp/channel.h>
#include <grpcpp/security/credentials.h>
#include <grpcpp/support/channel_arguments.h>

#include "svckit/log.hpp"

namespace svckit::sd::etcd {

class Members {
 public:
  struct Member {
    std::string endpoint;                      // host:port as given
    std::shared_ptr<::grpc::Channel> channel;  // connects on first use; a host name is re-resolved on reconnect
  };

  /// Throws std::invalid_argument when endpoints is empty or an endpoint is not host:port. The first member
  /// used is picked at random, so the processes of a fleet spread over the cluster.
  Members(const std::vector<std::string>& endpoints, const std::shared_ptr<::grpc::ChannelCredentials>& creds,
          const ::grpc::ChannelArguments& args);

  /// The member to talk to now (any thread).
  std::size_t current() const { return current_.load(std::memory_order_acquire); }
  const Member& at(std::size_t index) const { return members_.at(index); }
  std::size_t size() const { return members_.size(); }

  /// The member at index answered: a later failure of it is news worth a warning.
  void answered(std::size_t index);
  /// The member at index failed (why says how). If it is still the current one, the next member becomes
  /// current and on_move runs (on the calling thread); true then. A failure of a member already left, or
  /// reported by a second caller at the same time, moves nothing.
  bool failed(std::size_t index, std::string_view why);

  /// Runs after every move (set once, before use): the client moves its streams.
  std::function<void()> on_move;

 private:
  std::vector<Member> members_;
  std::unique_ptr<std::atomic<bool>[]> answered_;  // since its last failure
  std::atomic<std::size_t> current_{0};
  log::Logger log_{"etcd"};
};

/// The gRPC target of one member: "ipv4:…" / "ipv6:…" for an address, "dns:///host:port" for a name (gRPC
/// resolves it again whenever the connection is lost, so a member that moves to another address is found).
std::string member_target(std::string_view endpoint);

}  // namespace svckit::sd::etcd
