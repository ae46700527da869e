// A registrar for registries this process cannot write (static://, file://): the instance is listed by
// whoever owns the list. register_instance() says so once in the log; registered() is true from then until
// deregister(), so a service's readiness does not wait for an announcement that cannot happen.
#pragma once

#include <atomic>
#include <string>

#include "svckit/sd/registrar.hpp"

namespace svckit::sd::detail {

class ReadOnlyRegistrar final : public Registrar {
 public:
  /// `where` names the list, for the log line ("static://", "/etc/svckit/instances.json").
  ReadOnlyRegistrar(std::string service, std::string address, std::string where)
      : service_(std::move(service)), address_(std::move(address)), where_(std::move(where)) {}
  void register_instance() override;
  Status deregister(std::chrono::milliseconds) override;
  bool registered() const override { return registered_.load(); }

 private:
  std::string service_, address_, where_;
  std::atomic<bool> registered_{false};
};

}  // namespace svckit::sd::detail
