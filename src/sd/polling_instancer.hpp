// An instancer for registries that are asked, not watched (Eureka, Nacos's HTTP API): the backend's fetch
// runs every interval on its client's thread; a good answer replaces the set, a failed one keeps the last set,
// sets the status and backs off (100 ms doubling up to the interval).
#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>

#include "svckit/result.hpp"
#include "svckit/sd/instancer.hpp"

namespace svckit::sd::detail {

/// A registry's answer read into instances, and one line per entry left out as malformed.
struct ParsedInstances {
  std::vector<Instance> instances;
  std::vector<std::string> skipped;
};

class PollingInstancer final : public Instancer {
 public:
  /// Kept for the instancer's life and never moved once given: a coroutine lambda may use its captures.
  using Fetch = std::function<boost::asio::awaitable<Result<ParsedInstances>>()>;
  struct Private {};
  struct Loop;
  /// Starts polling at once. `backend` names the registry in logs and statuses; `keep` is held until the
  /// instancer is gone (the client whose thread `ex` is).
  static std::shared_ptr<PollingInstancer> create(boost::asio::any_io_executor ex, std::string backend, std::string service,
                                                  std::chrono::milliseconds every, Fetch fetch, std::shared_ptr<void> keep);
  explicit PollingInstancer(Private) {}
  ~PollingInstancer() override;

 private:
  friend struct Loop;
  std::shared_ptr<void> keep_;
  std::shared_ptr<Loop> loop_;  // on the client's thread; reaches us through its gate while we live
};

}  // namespace svckit::sd::detail
