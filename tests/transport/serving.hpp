// Test support: a gRPC server (gRPC C++'s or the own wire's) started on an io pool, and stopped in order.
#pragma once

#include <chrono>
#include <string>

#include "svckit/io_pool.hpp"

namespace svckit::test {

// Starts the server, then the io threads it runs on; the address clients dial.
template <class Server>
std::string start_serving(Server& server, IoPool& io) {
  server.start();
  io.start();
  return "127.0.0.1:" + std::to_string(server.port());
}

// Shuts the server down (5 s for calls still open), then stops and joins its io threads.
template <class Server>
void stop_serving(Server& server, IoPool& io) {
  server.shutdown(std::chrono::steady_clock::now() + std::chrono::seconds(5));
  io.stop();
  io.join();
}

}  // namespace svckit::test
