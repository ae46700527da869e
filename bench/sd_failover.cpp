// Failover: 3 stringsvc instances discovered through etcd, 500 calls/s for 20 s from a balanced,
// retrying client; instance 0 gets SIGKILL (then, in a second run, SIGTERM) at 5 s.
// Goals: 0 failed calls and ≤ 10 failed attempts with SIGKILL; 0 failed attempts with SIGTERM.
#include <cstdio>

#include "support/failover.hpp"

int main(int argc, char** argv) {
  svckit::log::configure(svckit::log::Level::Error, svckit::log::Format::Logfmt);
  std::string bin = argc > 1 ? argv[1] : "build/bin/stringsvc";
  int seconds = argc > 2 ? std::atoi(argv[2]) : 20;
  for (int sig : {SIGKILL, SIGTERM}) {
    svckit::test::FailoverPlan plan{.stringsvc_bin = bin, .rate = 500, .duration = std::chrono::seconds(seconds),
                                    .stop_at = std::chrono::seconds(seconds / 4), .signal = sig};
    auto r = svckit::test::run_failover(plan);
    std::printf("failover %s at %ds of %ds, 500 calls/s, 3 instances, p2c: calls=%ld failed_calls=%ld failed_attempts=%ld%s%s\n",
                sig == SIGKILL ? "SIGKILL" : "SIGTERM", seconds / 4, seconds, r.calls, r.failed_calls, r.failed_attempts,
                r.first_error.empty() ? "" : " first_error=", r.first_error.c_str());
  }
}
