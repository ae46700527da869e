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

// Issue 18: a Context only holds what every wire can carry (svckit/metadata.hpp), whoever fills it.
TEST(Context, RefusesMetadataAndRequestIdsOtherWiresWouldChokeOn) {
  Context c;
  EXPECT_TRUE(c.set_request_id("rid-1"));
  EXPECT_FALSE(c.set_request_id("ab\tcd"));
  EXPECT_FALSE(c.set_request_id("a b"));
  EXPECT_FALSE(c.set_request_id(""));
  EXPECT_FALSE(c.set_request_id(std::string(kMaxRequestId + 1, 'r')));
  EXPECT_TRUE(c.set_request_id(std::string(kMaxRequestId, 'r')));
  EXPECT_EQ(c.request_id(), std::string(kMaxRequestId, 'r'));

  EXPECT_FALSE(c.add_metadata("tracestate", "k=\xc3\xa9"));
  EXPECT_FALSE(c.add_metadata("x-a", "line\r\nInjected: 1"));
  EXPECT_FALSE(c.add_metadata("X-Upper", "v"));
  EXPECT_FALSE(c.add_metadata("", "v"));
  EXPECT_FALSE(c.add_metadata("x-a", std::string(kMaxMetadataValue + 1, 'v')));
  EXPECT_TRUE(c.add_metadata("x-a", std::string(kMaxMetadataValue, 'v')));
  EXPECT_TRUE(c.add_metadata("x-trace-bin", std::string("\x00\xff\n", 3)));  // -bin values are bytes
  EXPECT_EQ(c.metadata().size(), 2u);
}

TEST(Context, HugeAndNegativeTimeoutsNeitherOverflowNorExtendTheDeadline) {
  Context huge;
  huge.set_timeout(Context::Clock::duration::max());
  ASSERT_TRUE(huge.remaining());
  EXPECT_GT(*huge.remaining(), Context::kMaxTimeout - 1min);
  EXPECT_LE(*huge.remaining(), Context::kMaxTimeout);
  Context past;
  past.set_timeout(-5s);
  EXPECT_TRUE(past.expired());
}
