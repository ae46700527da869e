// Internal to svckit's servers (HTTP, the own gRPC wire): one listening socket per io thread, all on the same
// port (SO_REUSEPORT), so that the kernel spreads new connections over the threads and each connection lives
// on the thread that accepted it.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>

namespace svckit::detail {

/// An acceptor on `address` ("host:port") for each io_context, in order. Port 0: one free port, the same
/// for all. A port already in use is an error even though SO_REUSEPORT would let us share it with another
/// process of this user (a plain bind is tried first). Throws boost::system::system_error naming the address.
std::vector<std::unique_ptr<boost::asio::ip::tcp::acceptor>> listen_on_every_thread(const std::string& address,
                                                                                    const std::vector<boost::asio::io_context*>& threads);

}  // namespace svckit::detail
