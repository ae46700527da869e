// Three stringsvc processes behind a balancer, discovered through etcd; one dies mid-load.
#include <gtest/gtest.h>

#include "support/failover.hpp"
#include "support/run.hpp"

namespace {

TEST(Failover, KilledInstanceCostsNoFailedCalls) {
  auto r = svckit::test::run_failover({.stringsvc_bin = STRINGSVC_BIN, .rate = 200,
                                       .duration = std::chrono::milliseconds(4000),
                                       .stop_at = std::chrono::milliseconds(1000), .signal = SIGKILL});
  EXPECT_EQ(r.failed_calls, 0) << r.first_error;
  EXPECT_LE(r.failed_attempts, 10) << "passive health takes the dead instance out at its first failure";
}

TEST(Failover, TerminatedInstanceDeregistersFirstSoNoAttemptFails) {
  auto r = svckit::test::run_failover({.stringsvc_bin = STRINGSVC_BIN, .rate = 200,
                                       .duration = std::chrono::milliseconds(4000),
                                       .stop_at = std::chrono::milliseconds(1000), .signal = SIGTERM});
  EXPECT_EQ(r.failed_calls, 0) << r.first_error;
  EXPECT_EQ(r.failed_attempts, 0);
}

}  // namespace
