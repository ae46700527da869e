#include "svckit/context.hpp"

#include <gtest/gtest.h>

using namespace svckit;
using namespace std::chrono_literals;

TEST(Context, NoDeadlineByDefault) {
  Context c;
  EXPECT_FALSE(c.deadline().has_value());
  EXPECT_FALSE(c.remaining().has_value());
  EXPECT_FALSE(c.expired());
}

TEST(Context, DeadlineOnlyEverShrinks) {
  Context c;
  c.set_timeout(1s);
  auto first = *c.deadline();
  c.set_timeout(10s);  // a callee never gets more time than its caller
  EXPECT_EQ(*c.deadline(), first);
  c.set_timeout(10ms);
  EXPECT_LT(*c.deadline(), first);
  EXPECT_LE(*c.remaining(), std::chrono::duration_cast<Context::Clock::duration>(10ms));
}

TEST(Context, PastDeadlineIsExpiredWithZeroRemaining) {
  Context c;
  c.set_deadline(Context::Clock::now() - 1ms);
  EXPECT_TRUE(c.expired());
  EXPECT_EQ(*c.remaining(), Context::Clock::duration::zero());
}

TEST(Context, CancellationIsSharedByCopies) {
  Context parent;
  Context child = parent;
  child.set_timeout(1s);
  EXPECT_FALSE(child.cancelled());
  parent.cancel();
  EXPECT_TRUE(child.cancelled());
}

TEST(Context, MetadataLookup) {
  Context c;
  c.add_metadata("authorization", "Bearer x");
  c.add_metadata("x-a", "1");
  c.add_metadata("x-a", "2");
  EXPECT_EQ(c.metadata("authorization"), "Bearer x");
  EXPECT_EQ(c.metadata("x-a"), "1");
  EXPECT_EQ(c.metadata("missing"), "");
  EXPECT_EQ(c.metadata().size(), 3u);
}

TEST(Context, RequestIdsAreDistinctHex) {
  auto a = new_request_id();
  auto b = new_request_id();
  EXPECT_EQ(a.size(), 16u);
  EXPECT_NE(a, b);
  EXPECT_EQ(a.find_first_not_of("0123456789abcdef"), std::string::npos);
}
