// dns+srv:// against a real DNS server (Debian's dnsmasq on a loopback port): SRV priority and weight, address
// follow-ups, records that change, a resolver that goes away, NXDOMAIN, answers too large for UDP (TCP), and a
// hostile server's bytes over UDP and TCP.
#include <gtest/gtest.h>

#include <fcntl.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/time.h>

#include <algorithm>
#include <atomic>
#include <thread>

#include <boost/asio/ip/udp.hpp>

#include "sd/dns/message.hpp"
#include "sd/dns/srv_instancer.hpp"
#include "support/dnsmasq.hpp"
#include "support/instance_view.hpp"
#include "support/run.hpp"
#include "svckit/sd/registry.hpp"

namespace sd = svckit::sd;
using namespace std::chrono_literals;
using svckit::test::View;
using svckit::test::wait_until;
using Strings = std::vector<std::string>;

namespace {

const std::string kSrv = "--srv-host=_notificator._tcp.example.internal,";

std::vector<std::string> two_notificators() {
  return {kSrv + "n1.example.internal,9000,0,5", kSrv + "n2.example.internal,9001,0,10",
          kSrv + "backup.example.internal,9002,1,1",  // priority 1: only when priority 0 is gone
          "--host-record=n1.example.internal,127.0.0.1", "--host-record=n2.example.internal,127.0.0.2,::1",
          "--host-record=backup.example.internal,127.0.0.9"};
}

std::string url(const svckit::test::Dnsmasq& dns, const std::string& name = "example.internal") {
  return "dns+srv://" + name + "?resolver=" + dns.address();
}

// The lowest priority's targets, one instance per address, each with its SRV weight.
TEST(DnsSrvRegistry, LowestPriorityTargetsWithTheirWeightsAndAddresses) {
  svckit::test::Dnsmasq dns(two_notificators());
  auto registry = sd::Registry::open(url(dns));
  auto instancer = registry->instancer("notificator");
  View view(*instancer);
  ASSERT_TRUE(wait_until([&] { return view.size() == 3; }, 10s)) << view.status().message();
  EXPECT_EQ(view.addresses(), (Strings{"127.0.0.1:9000", "127.0.0.2:9001", "[::1]:9001"}));
  for (const auto& [key, inst] : view.set()) EXPECT_EQ(inst.weight, inst.address.ends_with(":9000") ? 5 : 10) << key;
  EXPECT_TRUE(view.status().ok());
  // The same records through a full SRV name.
  auto named = sd::Registry::open(url(dns, "_notificator._tcp.example.internal"));
  auto by_name_instancer = named->instancer("anything");
  View by_name(*by_name_instancer);
  EXPECT_TRUE(wait_until([&] { return by_name.size() == 3; }, 10s));
}

// Records change (the zone's owner moved an instance): seen within the TTL (1 s here). The priority-1 target
// takes over when priority 0 is gone. A name that no longer exists (NXDOMAIN) empties the set.
TEST(DnsSrvRegistry, ChangesAreSeenWithinTheTtl) {
  svckit::test::Dnsmasq dns(two_notificators());
  auto registry = sd::Registry::open(url(dns));
  auto instancer = registry->instancer("notificator");
  View view(*instancer);
  ASSERT_TRUE(wait_until([&] { return view.size() == 3; }, 10s));
  dns.restart({kSrv + "n3.example.internal,9003,0,1", "--host-record=n3.example.internal,127.0.0.3"});
  EXPECT_TRUE(wait_until([&] { return view.addresses() == Strings{"127.0.0.3:9003"}; }, 10s));
  dns.restart({kSrv + "backup.example.internal,9002,1,1", "--host-record=backup.example.internal,127.0.0.9"});
  EXPECT_TRUE(wait_until([&] { return view.addresses() == Strings{"127.0.0.9:9002"}; }, 10s));
  dns.restart({"--host-record=unrelated.example.internal,127.0.0.1"});
  EXPECT_TRUE(wait_until([&] { return view.size() == 0 && view.status().ok(); }, 10s)) << view.status().message();
}

// The resolver goes away: the last set stays and the status says so; back, and all is well again.
TEST(DnsSrvRegistry, AResolverOutageKeepsTheLastSet) {
  svckit::test::Dnsmasq dns(two_notificators());
  auto registry = sd::Registry::open(url(dns));
  auto instancer = registry->instancer("notificator");
  View view(*instancer);
  ASSERT_TRUE(wait_until([&] { return view.size() == 3; }, 10s));
  dns.stop();
  ASSERT_TRUE(wait_until([&] { return !view.status().ok(); }, 15s));
  EXPECT_EQ(view.size(), 3u) << "the last known set while DNS is down";
  dns.start(two_notificators());
  EXPECT_TRUE(wait_until([&] { return view.status().ok() && view.size() == 3; }, 40s)) << view.status().message();
}

// A "resolver" that answers garbage, answers with the wrong id, or from elsewhere: errors, never a crash,
// never an instance. The bytes go over a real UDP socket.
TEST(DnsSrvRegistry, AHostileServersBytesAreErrorsNotInstances) {
  boost::asio::io_context io;
  boost::asio::ip::udp::socket server(io, {boost::asio::ip::make_address("127.0.0.1"), 0});
  const auto port = server.local_endpoint().port();
  std::atomic<bool> done{false};
  std::atomic<int> answered{0};
  std::thread t([&] {
    std::vector<std::string> replies = {
        "",                                             // empty datagram
        std::string("\x12\x34\x81\x80\x00\x01\x00\x01\x00\x00\x00\x00", 12),  // an answer count with no answer
        std::string(600, '\xc0'),                       // pointers everywhere
        std::string("\xff\xff\x81\x80\x00\x00\x00\x01\x00\x00\x00\x00\xc0\x0c", 14),  // a pointer to itself
    };
    // Blocking receives that give up after 100 ms, so the loop sees `done` without polling.
    timeval limit{0, 100'000};
    ::setsockopt(server.native_handle(), SOL_SOCKET, SO_RCVTIMEO, &limit, sizeof limit);
    std::size_t i = 0;
    while (!done.load()) {
      char buf[1500];
      sockaddr_storage from{};
      socklen_t from_len = sizeof from;
      auto n = ::recvfrom(server.native_handle(), buf, sizeof buf, 0, reinterpret_cast<sockaddr*>(&from), &from_len);
      if (n < 0) continue;  // timed out: look at `done` again
      std::string reply = replies[i++ % replies.size()];
      if (reply.size() >= 2 && n >= 2 && i % 2) reply.replace(0, 2, buf, 2);  // sometimes with the query's id
      ::sendto(server.native_handle(), reply.data(), reply.size(), 0, reinterpret_cast<sockaddr*>(&from), from_len);
      ++answered;
    }
  });
  auto registry = sd::Registry::open("dns+srv://example.internal?resolver=127.0.0.1:" + std::to_string(port));
  auto instancer = registry->instancer("notificator");
  View view(*instancer);
  EXPECT_TRUE(wait_until([&] { return !view.status().ok() && answered.load() >= 4; }, 15s));
  EXPECT_EQ(view.size(), 0u);
  done = true;
  t.join();
}

// A server that says "truncated" over UDP and then answers over TCP with garbage, an answer to another
// question, or a length it does not send: errors, never a crash, never an instance. Real sockets both ways.
TEST(DnsSrvRegistry, AHostileTcpAnswerIsAnErrorNotInstances) {
  boost::asio::io_context io;
  boost::asio::ip::tcp::acceptor tcp(io, {boost::asio::ip::make_address("127.0.0.1"), 0});
  const auto port = tcp.local_endpoint().port();
  boost::asio::ip::udp::socket udp(io, {boost::asio::ip::make_address("127.0.0.1"), port});
  std::atomic<bool> done{false};
  std::atomic<int> connections{0};
  timeval limit{0, 100'000};  // blocking calls that give up after 100 ms, so the loops see `done`
  ::setsockopt(udp.native_handle(), SOL_SOCKET, SO_RCVTIMEO, &limit, sizeof limit);
  std::thread udp_side([&] {  // echoes each query back as a response with TC set
    while (!done.load()) {
      char buf[1500];
      sockaddr_storage from{};
      socklen_t from_len = sizeof from;
      auto n = ::recvfrom(udp.native_handle(), buf, sizeof buf, 0, reinterpret_cast<sockaddr*>(&from), &from_len);
      if (n < 12) continue;
      buf[2] = static_cast<char>(buf[2] | 0x82);  // QR, TC
      ::sendto(udp.native_handle(), buf, static_cast<std::size_t>(n), 0, reinterpret_cast<sockaddr*>(&from), from_len);
    }
  });
  ::fcntl(tcp.native_handle(), F_SETFL, O_NONBLOCK);
  std::thread tcp_side([&] {
    const std::vector<std::string> replies = {
        std::string("\x00\x20", 2) + std::string(32, '\xc0'),           // pointers everywhere
        std::string("\x00\x0c\xde\xad\x81\x80\x00\x00\x00\x00\x00\x00\x00\x00", 14),  // another id
        std::string("\xff\xff\x12\x34", 4),                            // 65535 bytes promised, 2 sent
    };
    while (!done.load()) {
      int fd = ::accept(tcp.native_handle(), nullptr, nullptr);
      if (fd < 0) {
        ::poll(nullptr, 0, 20);  // nothing to accept yet: the registry's next lookup is a second away
        continue;
      }
      const auto& reply = replies[static_cast<std::size_t>(connections++) % replies.size()];
      char query[600];
      (void)::recv(fd, query, sizeof query, 0);
      (void)::send(fd, reply.data(), reply.size(), MSG_NOSIGNAL);
      ::close(fd);
    }
  });
  auto registry = sd::Registry::open("dns+srv://example.internal?resolver=127.0.0.1:" + std::to_string(port));
  auto instancer = registry->instancer("notificator");
  View view(*instancer);
  EXPECT_TRUE(wait_until([&] { return !view.status().ok() && connections.load() >= 3; }, 20s)) << view.status().message();
  EXPECT_NE(view.status().message().find("over TCP"), std::string::npos) << view.status().message();
  EXPECT_EQ(view.size(), 0u);
  done = true;
  udp_side.join();
  tcp_side.join();
}

// An answer too large for UDP (dnsmasq limited to 512-byte UDP answers here, 40 targets) comes back
// truncated; the resolver asks again over TCP and every target is found.
TEST(DnsSrvRegistry, ATruncatedAnswerIsAskedForAgainOverTcp) {
  std::vector<std::string> records{"--edns-packet-max=512"};
  Strings expected;
  for (int i = 1; i <= 40; ++i) {
    const std::string host = "big" + std::to_string(i) + ".example.internal";
    records.push_back("--srv-host=_big._tcp.example.internal," + host + ",9000,0,1");
    records.push_back("--host-record=" + host + ",127.0.1." + std::to_string(i));
    expected.push_back("127.0.1." + std::to_string(i) + ":9000");
  }
  std::sort(expected.begin(), expected.end());
  svckit::test::Dnsmasq dns(records);
  auto registry = sd::Registry::open(url(dns));
  auto instancer = registry->instancer("big");
  View view(*instancer);
  ASSERT_TRUE(wait_until([&] { return view.size() == 40; }, 10s)) << view.status().message();
  EXPECT_EQ(view.addresses(), expected);
  EXPECT_TRUE(view.status().ok());
}

TEST(DnsMessage, ParsesWhatItBuildsAndRefusesLoops) {
  auto q = sd::dns::make_query(7, "_a._tcp.example.internal.", sd::dns::RecordType::srv);
  EXPECT_FALSE(sd::dns::parse_answer(q).ok()) << "a query is not a response";
  EXPECT_THROW(sd::dns::make_query(1, std::string(64, 'x') + ".example", sd::dns::RecordType::a), std::invalid_argument);
  EXPECT_THROW(sd::dns::make_query(1, "a..b", sd::dns::RecordType::a), std::invalid_argument);
  EXPECT_THROW(sd::dns::make_query(1, std::string(300, 'x'), sd::dns::RecordType::a), std::invalid_argument);
  // A name whose pointer points forward (or at itself): refused, not followed.
  std::string loop("\x00\x01\x81\x80\x00\x00\x00\x01\x00\x00\x00\x00\xc0\x0c\x00\x01\x00\x01\x00\x00\x00\x01\x00\x04\x01\x02\x03\x04", 28);
  auto a = sd::dns::parse_answer(loop);
  EXPECT_FALSE(a.ok());
}

TEST(DnsSrvRegistryUrl, BadUrlsAreRefusedWithTheReason) {
  for (const char* bad : {"dns+srv://", "dns+srv://a..b", "dns+srv://example.internal?resolver=not-an-ip:53",
                          "dns+srv://example.internal?resolver=127.0.0.1", "dns+srv://example.internal?ttl=3",
                          "dns+srv://h:1/x"})
    EXPECT_THROW(sd::Registry::open(bad), std::invalid_argument) << bad;
  auto r = sd::Registry::open("dns+srv://example.internal?resolver=127.0.0.1:1");
  EXPECT_THROW(r->instancer("a.b"), std::invalid_argument);
  sd::Instance me;
  me.address = "127.0.0.1:1";
  auto reg = r->registrar("users", me, 10s);
  reg->register_instance();
  EXPECT_TRUE(reg->registered()) << "read-only: registering only logs";
}

}  // namespace
