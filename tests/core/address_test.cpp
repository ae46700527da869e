#include "svckit/address.hpp"

#include <gtest/gtest.h>

using svckit::split_host_port;

TEST(Address, SplitsHostAndPort) {
  auto [h, p] = split_host_port("127.0.0.1:8080");
  EXPECT_EQ(h, "127.0.0.1");
  EXPECT_EQ(p, 8080);
  auto [h6, p6] = split_host_port("[::1]:9");
  EXPECT_EQ(h6, "::1");
  EXPECT_EQ(p6, 9);
}

TEST(Address, RejectsMalformedWithClearMessage) {
  for (const char* bad : {"localhost", ":80", "host:", "host:http", "host:70000", "host:-1"}) {
    try {
      (void)split_host_port(bad);
      ADD_FAILURE() << bad << " was accepted";
    } catch (const std::invalid_argument& e) {
      EXPECT_NE(std::string(e.what()).find(bad), std::string::npos) << e.what();
    }
  }
}

// Addresses come from registries anyone can write to: a huge one is refused, and no message repeats it whole.
TEST(Address, AHugeAddressIsRefusedAndShownInPart) {
  for (const std::string& huge : {std::string(3000, 'x'), std::string(600, 'h') + ":80"}) {
    try {
      (void)split_host_port(huge);
      ADD_FAILURE() << "accepted";
    } catch (const std::invalid_argument& e) {
      EXPECT_LT(std::string(e.what()).size(), 200u) << e.what();
    }
  }
  EXPECT_EQ(split_host_port(std::string(253, 'h') + ":80").second, 80) << "the longest DNS name is fine";
}

TEST(Address, JoinsHostAndPortBracketingIPv6) {
  EXPECT_EQ(svckit::join_host_port("127.0.0.1", 8080), "127.0.0.1:8080");
  EXPECT_EQ(svckit::join_host_port("::1", 8080), "[::1]:8080");
  // A listen flag with port 0 becomes the address to register once the real port is known.
  EXPECT_EQ(svckit::bound_address("[::1]:0", 40001), "[::1]:40001");
  EXPECT_EQ(svckit::bound_address("127.0.0.1:0", 40001), "127.0.0.1:40001");
}
