#include "svckit/status.hpp"

#include <gtest/gtest.h>

using namespace svckit;

TEST(Status, DefaultIsOk) {
  Status s;
  EXPECT_TRUE(s.ok());
  EXPECT_EQ(s.to_string(), "OK");
}

TEST(Status, NamesRoundTripForEveryCode) {
  for (int i = 0; i <= 16; ++i) {
    auto code = static_cast<StatusCode>(i);
    auto back = status_code_from_string(to_string(code));
    ASSERT_TRUE(back.has_value()) << i;
    EXPECT_EQ(*back, code);
  }
  EXPECT_FALSE(status_code_from_string("NOPE").has_value());
  EXPECT_EQ(to_string(StatusCode::InvalidArgument), "INVALID_ARGUMENT");
}

TEST(Status, CodesMatchGrpcNumbering) {
  EXPECT_EQ(static_cast<int>(StatusCode::DeadlineExceeded), 4);
  EXPECT_EQ(static_cast<int>(StatusCode::Unavailable), 14);
  EXPECT_EQ(static_cast<int>(StatusCode::Unauthenticated), 16);
}

TEST(Status, MapsToHttp) {
  EXPECT_EQ(http_status_of(StatusCode::Ok), 200);
  EXPECT_EQ(http_status_of(StatusCode::InvalidArgument), 400);
  EXPECT_EQ(http_status_of(StatusCode::Unauthenticated), 401);
  EXPECT_EQ(http_status_of(StatusCode::PermissionDenied), 403);
  EXPECT_EQ(http_status_of(StatusCode::NotFound), 404);
  EXPECT_EQ(http_status_of(StatusCode::AlreadyExists), 409);
  EXPECT_EQ(http_status_of(StatusCode::ResourceExhausted), 429);
  EXPECT_EQ(http_status_of(StatusCode::Internal), 500);
  EXPECT_EQ(http_status_of(StatusCode::Unimplemented), 501);
  EXPECT_EQ(http_status_of(StatusCode::Unavailable), 503);
  EXPECT_EQ(http_status_of(StatusCode::DeadlineExceeded), 504);
}

TEST(Status, MapsFromHttp) {
  EXPECT_EQ(status_code_from_http(204), StatusCode::Ok);
  EXPECT_EQ(status_code_from_http(400), StatusCode::InvalidArgument);
  EXPECT_EQ(status_code_from_http(401), StatusCode::Unauthenticated);
  EXPECT_EQ(status_code_from_http(404), StatusCode::NotFound);
  EXPECT_EQ(status_code_from_http(429), StatusCode::ResourceExhausted);
  EXPECT_EQ(status_code_from_http(503), StatusCode::Unavailable);
  EXPECT_EQ(status_code_from_http(504), StatusCode::DeadlineExceeded);
  EXPECT_EQ(status_code_from_http(418), StatusCode::FailedPrecondition);
  EXPECT_EQ(status_code_from_http(599), StatusCode::Internal);
}

TEST(Status, ToStringIncludesMessage) {
  EXPECT_EQ(invalid_argument("email is required").to_string(), "INVALID_ARGUMENT: email is required");
}
