#include "svckit/sd/target.hpp"

#include "svckit/log.hpp"
#include "svckit/metrics/registry.hpp"

namespace svckit::sd {

void Target::call_finished(std::chrono::nanoseconds latency, StatusCode code) {
  call_finished(latency);
  if (breaker_.record(accepted(code))) {
    if (counters_.breaker_ejections) counters_.breaker_ejections->inc();
    log::Logger("breaker").warn("circuit breaker open: instance out of balancing",
                                {{"service", counters_.service},
                                 {"address", instance_.address},
                                 {"reject_probability", breaker_.reject_probability()}});
  }
  if (!counters_.calls) return;
  if (code == StatusCode::Ok) {
    counters_.ok->inc();
  } else {
    counters_.calls->with({counters_.service, instance_.address, std::string(to_string(code))}).inc();
  }
}

}  // namespace svckit::sd
