// Test support: greeter messages as the bytes a by-bytes stream carries, and back.
#pragma once

#include <optional>
#include <string>

#include <gtest/gtest.h>

#include "greeter.pb.h"

namespace svckit::test {

inline std::string hello_bytes(const std::string& name) {
  greeter::HelloRequest r;
  r.set_name(name);
  return r.SerializeAsString();
}

inline std::string reply_bytes(const std::string& message) {
  greeter::HelloReply r;
  r.set_message(message);
  return r.SerializeAsString();
}

// The reply's text; a test failure if the bytes are not a HelloReply.
inline std::string reply_text(const std::string& bytes) {
  greeter::HelloReply r;
  EXPECT_TRUE(r.ParseFromString(bytes)) << "not a HelloReply";
  return r.message();
}

// As above, "<none>" where no message came.
inline std::string reply_text(const std::optional<std::string>& bytes) {
  return bytes ? reply_text(*bytes) : "<none>";
}

}  // namespace svckit::test
