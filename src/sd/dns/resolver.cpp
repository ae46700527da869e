#include "resolver.hpp"

#include <fstream>
#include <random>
#include <sstream>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/write.hpp>
#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>

#include "svckit/address.hpp"

namespace svckit::sd::dns {

namespace asio = boost::asio;
using asio::ip::udp;

namespace {
constexpr int kTries = 2;
}  // namespace

Resolver::Resolver(asio::any_io_executor ex, const std::string& server) : ex_(std::move(ex)), server_text_(server) {
  auto [host, port] = split_host_port(server);
  boost::system::error_code ec;
  auto ip = asio::ip::make_address(host, ec);
  if (ec) throw std::invalid_argument("DNS server \"" + server + "\" must be an IP address with a port");
  server_ = udp::endpoint(ip, port);
}

asio::awaitable<Result<Answer>> Resolver::query(std::string name, RecordType type, std::chrono::milliseconds timeout) {
  using namespace asio::experimental::awaitable_operators;
  static thread_local std::mt19937 rng{std::random_device{}()};
  const auto id = static_cast<std::uint16_t>(rng());
  std::string packet;
  try {
    packet = make_query(id, name, type);
  } catch (const std::invalid_argument& e) {
    co_return invalid_argument(e.what());
  }
  udp::socket socket(ex_, server_.protocol());  // a fresh source port per question
  Status last = unavailable("DNS server " + server_text_ + " did not answer");
  for (int attempt = 0; attempt < kTries; ++attempt) {
    auto [sent_ec, sent] = co_await socket.async_send_to(asio::buffer(packet), server_, asio::as_tuple(asio::use_awaitable));
    if (sent_ec) co_return unavailable("DNS server " + server_text_ + ": " + sent_ec.message());
    const auto deadline = std::chrono::steady_clock::now() + timeout / kTries;
    for (;;) {  // until our answer, or the deadline
      std::string buf(65535, '\0');
      udp::endpoint from;
      asio::steady_timer timer(ex_, deadline);
      auto got = co_await (socket.async_receive_from(asio::buffer(buf), from, asio::as_tuple(asio::use_awaitable)) ||
                           timer.async_wait(asio::as_tuple(asio::use_awaitable)));
      if (got.index() == 1) break;  // timed out: ask again
      auto [ec, n] = std::get<0>(got);
      if (ec) {
        last = unavailable("DNS server " + server_text_ + ": " + ec.message());
        break;
      }
      if (from != server_) continue;  // not the server we asked
      buf.resize(n);
      auto answer = parse_answer(buf);
      if (!answer.ok()) {
        last = unavailable("DNS server " + server_text_ + ": " + answer.status().message());
        continue;
      }
      if (answer->id != id) continue;  // an old or forged answer
      if (answer->truncated) co_return co_await query_tcp(packet, id, timeout);
      co_return answer;
    }
  }
  co_return last;
}

asio::awaitable<Result<Answer>> Resolver::query_tcp(const std::string& packet, std::uint16_t id, std::chrono::milliseconds timeout) {
  using namespace asio::experimental::awaitable_operators;
  auto fail = [&](const std::string& why) { return unavailable("DNS server " + server_text_ + " over TCP: " + why); };
  asio::ip::tcp::socket socket(ex_);
  asio::steady_timer timer(ex_, timeout);  // bounds the whole exchange
  auto bounded = [&](auto op) { return std::move(op) || timer.async_wait(asio::as_tuple(asio::use_awaitable)); };
  auto connected = co_await bounded(socket.async_connect({server_.address(), server_.port()}, asio::as_tuple(asio::use_awaitable)));
  if (connected.index() == 1) co_return fail("no connection in time");
  if (auto [ec] = std::get<0>(connected); ec) co_return fail(ec.message());
  // Each message travels behind its length, two bytes, most significant first.
  std::string framed{static_cast<char>(packet.size() >> 8), static_cast<char>(packet.size() & 0xff)};
  framed += packet;
  auto wrote = co_await bounded(asio::async_write(socket, asio::buffer(framed), asio::as_tuple(asio::use_awaitable)));
  if (wrote.index() == 1) co_return fail("timed out sending");
  if (auto [ec, n] = std::get<0>(wrote); ec) co_return fail(ec.message());
  unsigned char length[2];
  auto head = co_await bounded(asio::async_read(socket, asio::buffer(length), asio::as_tuple(asio::use_awaitable)));
  if (head.index() == 1) co_return fail("timed out waiting for the answer");
  if (auto [ec, n] = std::get<0>(head); ec) co_return fail(ec.message());
  std::string buf(static_cast<std::size_t>(length[0] << 8 | length[1]), '\0');
  auto body = co_await bounded(asio::async_read(socket, asio::buffer(buf), asio::as_tuple(asio::use_awaitable)));
  if (body.index() == 1) co_return fail("timed out reading the answer");
  if (auto [ec, n] = std::get<0>(body); ec) co_return fail(ec.message());
  auto answer = parse_answer(buf);
  if (!answer.ok()) co_return fail(answer.status().message());
  if (answer->id != id) co_return fail("the answer is to another question");
  if (answer->truncated) co_return fail("the answer is truncated even over TCP");
  co_return answer;
}

std::string system_resolver() {
  std::ifstream in("/etc/resolv.conf");
  std::string line;
  while (std::getline(in, line)) {
    std::istringstream words(line);
    std::string key, value;
    if (!(words >> key >> value) || key != "nameserver") continue;
    boost::system::error_code ec;
    auto ip = boost::asio::ip::make_address(value, ec);
    if (!ec) return join_host_port(ip.to_string(), 53);
  }
  return "127.0.0.1:53";
}

}  // namespace svckit::sd::dns
