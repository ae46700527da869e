#include "read_only_registrar.hpp"

#include "svckit/log.hpp"

namespace svckit::sd::detail {

void ReadOnlyRegistrar::register_instance() {
  if (registered_.exchange(true)) return;
  log::Logger("registrar").info("registry is read-only: this instance is found only if it is listed there",
                                {{"service", service_}, {"addr", address_}, {"registry", where_}});
}

Status ReadOnlyRegistrar::deregister(std::chrono::milliseconds) {
  registered_ = false;
  return {};
}

}  // namespace svckit::sd::detail
