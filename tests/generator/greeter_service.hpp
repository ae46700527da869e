// The hand-written side of the generated greeter bindings: a service implementing two of its three rpcs.
#pragma once

#include <atomic>
#include <string>

#include "greeter.svckit.h"

namespace greeter {

class GreeterService final : public Service {
 public:
  explicit GreeterService(std::string instance) : instance_(std::move(instance)) {}
  boost::asio::awaitable<svckit::Result<HelloReply>> say_hello(const svckit::Context& ctx,
                                                               const HelloRequest& request) override;
  boost::asio::awaitable<svckit::Result<DeleteRequest_Done>> delete_(const svckit::Context& ctx,
                                                                     const DeleteRequest& request) override;
  boost::asio::awaitable<svckit::Status> countdown(const svckit::Context& ctx, const HelloRequest& request,
                                                   svckit::StreamWriter<HelloReply>& out) override;
  int calls() const { return calls_; }

 private:
  std::string instance_;
  std::atomic<int> calls_{0};
};

}  // namespace greeter
