// A registrar for registries that keep an instance while it sends heartbeats (Eureka's renewals, Nacos's
// beats, a Consul TTL check): add it, renew it every interval, add it again when the registry says it forgot
// it, remove it on deregister(). The backend gives the three requests; the loop runs on its client's thread.
#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <string>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>

#include "svckit/result.hpp"
#include "svckit/sd/registrar.hpp"

namespace svckit::sd::detail {

// Kept for the registrar's life and never moved once given: coroutine lambdas may use their captures.
struct HeartbeatOps {
  std::function<boost::asio::awaitable<Status>()> add;          // OK once the registry holds the instance
  std::function<boost::asio::awaitable<Result<bool>>()> renew;  // false: the registry forgot it; an error: unreachable
  std::function<boost::asio::awaitable<Status>()> remove;
};

class HeartbeatRegistrar final : public Registrar {
 public:
  /// `backend` names the registry in logs ("eureka"); `every` is the renewal interval. `keep` is held until
  /// the registrar is gone (the client whose thread `ex` is).
  HeartbeatRegistrar(boost::asio::any_io_executor ex, std::string backend, std::string service, std::string address,
                     std::chrono::milliseconds every, HeartbeatOps ops, std::shared_ptr<void> keep);
  ~HeartbeatRegistrar() override;
  void register_instance() override;
  Status deregister(std::chrono::milliseconds timeout) override;
  bool registered() const override;

  struct State;

 private:
  std::shared_ptr<void> keep_;
  std::shared_ptr<State> state_;
};

}  // namespace svckit::sd::detail
