// The instances an SRV name resolves to, looked up again when the records' TTL runs out.
#pragma once

#include <memory>
#include <string>

#include "resolver.hpp"
#include "svckit/sd/instancer.hpp"

namespace svckit::sd::dns {

/// What one SRV lookup (with its address follow-ups) resolved to. Pure: tested and fuzzed without a server.
struct Resolution {
  std::vector<Instance> instances;
  std::vector<std::string> unresolved;  // SRV targets that need A/AAAA lookups (not in the additional section)
  std::uint32_t ttl = 0;                // the smallest TTL seen
};
/// Turns an SRV answer into instances: only the lowest-priority targets (RFC 2782: the others are for when
/// those cannot be reached — a balancer over the first group does that), weight → Instance::weight (0 → 1),
/// one instance per address of each target (key "<target>/<ip:port>"), addresses from the additional
/// section or `more` (answers to follow-up A/AAAA questions).
Resolution resolve_srv(const Answer& srv, const std::vector<Answer>& more = {});

class SrvInstancer final : public sd::Instancer {
 public:
  struct Loop;
  struct Private {};
  /// Keeps `owner` (the registry's thread) alive while it lives.
  static std::shared_ptr<SrvInstancer> create(std::shared_ptr<void> owner, boost::asio::any_io_executor ex,
                                              std::string resolver, std::string srv_name);
  SrvInstancer(Private, std::shared_ptr<void> owner);
  ~SrvInstancer() override;

 private:
  friend struct Loop;
  std::shared_ptr<void> owner_;
  std::shared_ptr<Loop> loop_;
};

}  // namespace svckit::sd::dns
