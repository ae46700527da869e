#include "listen_on_every_thread.hpp"

#include <sys/socket.h>

#include "svckit/address.hpp"

namespace svckit::detail {

namespace asio = boost::asio;
using tcp = asio::ip::tcp;

std::vector<std::unique_ptr<tcp::acceptor>> listen_on_every_thread(const std::string& address, const std::vector<asio::io_context*>& threads) {
  auto [host, port] = split_host_port(address);
  tcp::endpoint ep(asio::ip::make_address(host), port);
  if (ep.port() != 0) {
    tcp::acceptor probe(*threads.front());
    probe.open(ep.protocol());
    probe.set_option(tcp::acceptor::reuse_address(true));  // TIME_WAIT leftovers are no conflict
    boost::system::error_code ec;
    probe.bind(ep, ec);
    if (ec) throw boost::system::system_error(ec, "cannot listen on " + address);
  }
  std::vector<std::unique_ptr<tcp::acceptor>> out;
  for (auto* io : threads) {
    auto acc = std::make_unique<tcp::acceptor>(*io);
    acc->open(ep.protocol());
    acc->set_option(tcp::acceptor::reuse_address(true));
    int one = 1;
    ::setsockopt(acc->native_handle(), SOL_SOCKET, SO_REUSEPORT, &one, sizeof one);
    acc->bind(ep);
    acc->listen(asio::socket_base::max_listen_connections);
    if (ep.port() == 0) ep.port(acc->local_endpoint().port());  // the others join the port the first one got
    out.push_back(std::move(acc));
  }
  return out;
}

}  // namespace svckit::detail
