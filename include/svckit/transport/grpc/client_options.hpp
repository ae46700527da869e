// svckit/transport/grpc/client_options.hpp — what one gRPC call takes besides its request, on either client
// (grpc++'s, client.hpp, or svckit's own wire, wire_channel.hpp).
#pragma once

#include <chrono>
#include <string>
#include <utility>
#include <vector>

namespace svckit::grpc {

struct ClientOptions {
  std::chrono::milliseconds timeout{10000};  // when the Context has no deadline
  // Extra request metadata (e.g. an auth token); a call with an entry that is not valid metadata
  // (svckit/metadata.hpp) fails with INVALID_ARGUMENT rather than reaching the wire.
  std::vector<std::pair<std::string, std::string>> metadata;
  // Wait (within the deadline) for the channel to connect instead of failing at once while it cannot
  // (gRPC's wait-for-ready): the call starts the moment the server is back.
  bool wait_for_ready = false;
};

}  // namespace svckit::grpc
