#include "svckit/result.hpp"

#include <gtest/gtest.h>

#include <string>

using namespace svckit;

TEST(Result, HoldsAValue) {
  Result<std::string> r(std::string("x"));
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(*r, "x");
  EXPECT_EQ(r->size(), 1u);
  EXPECT_TRUE(r.status().ok());
}

TEST(Result, HoldsAnError) {
  Result<int> r(not_found("no user 7"));
  EXPECT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::NotFound);
  EXPECT_EQ(r.status().message(), "no user 7");
}

TEST(Result, OkStatusWithoutValueBecomesInternal) {
  Result<int> r(Status{});
  EXPECT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::Internal);
}

TEST(Result, MovesValueOut) {
  Result<std::string> r(std::string(100, 'a'));
  std::string s = std::move(r).value();
  EXPECT_EQ(s.size(), 100u);
}
