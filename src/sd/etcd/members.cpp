#include "members.hpp"

#include <algorithm>
#include <random>
#include <stdexcept>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/address.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <grpcpp/create_channel.h>

#include "svckit/address.hpp"

namespace svckit::sd::etcd {

namespace asio = boost::asio;

namespace {

bool is_ip(const std::string& host) {
  boost::system::error_code ec;
  (void)asio::ip::make_address(host, ec);
  return !ec;
}

// A name stands for at most this many members: a DNS answer with thousands of addresses must not become
// thousands of channels (an etcd cluster has a handful of members).
constexpr std::size_t kMaxAddressesPerName = 16;

std::vector<std::string> addresses_of(const asio::ip::tcp::resolver::results_type& results, std::uint16_t port) {
  std::vector<std::string> out;
  for (const auto& r : results) {
    if (out.size() == kMaxAddressesPerName) break;
    auto a = join_host_port(r.endpoint().address().to_string(), port);
    if (std::find(out.begin(), out.end(), a) == out.end()) out.push_back(a);
  }
  return out;
}

/// The addresses an endpoint stands for now: itself for an IP address or a name that does not resolve (gRPC
/// then resolves it when it connects, and the next round tries again).
std::vector<std::string> resolve_now(const std::string& endpoint) {
  auto [host, port] = split_host_port(endpoint);  // throws with a clear message
  if (is_ip(host)) return {endpoint};
  asio::io_context io;
  asio::ip::tcp::resolver resolver(io);
  boost::system::error_code ec;
  auto results = resolver.resolve(host, std::to_string(port), ec);
  if (ec || results.empty()) return {endpoint};
  return addresses_of(results, port);
}

}  // namespace

std::string member_target(std::string_view address) {
  auto [host, port] = split_host_port(address);
  boost::system::error_code ec;
  auto addr = asio::ip::make_address(host, ec);
  if (ec) return "dns:///" + join_host_port(host, port);
  if (addr.is_v4()) return "ipv4:" + addr.to_string() + ":" + std::to_string(port);
  return "ipv6:[" + addr.to_string() + "]:" + std::to_string(port);
}

Members::Members(const std::vector<std::string>& endpoints, std::shared_ptr<::grpc::ChannelCredentials> creds,
                 ::grpc::ChannelArguments args, asio::any_io_executor ex)
    : endpoints_(endpoints), creds_(std::move(creds)), args_(std::move(args)), ex_(std::move(ex)) {
  if (endpoints_.empty()) throw std::invalid_argument("etcd: no endpoints given");
  std::vector<MemberPtr> list;
  for (const auto& ep : endpoints_) add_members(list, ep, resolve_now(ep));
  std::mt19937_64 rng{std::random_device{}()};
  current_ = std::uniform_int_distribution<std::size_t>(0, list.size() - 1)(rng);
  list_ = std::move(list);
}

Members::MemberPtr Members::make_member(const std::string& endpoint, const std::string& address) {
  auto args = args_;
  auto host = split_host_port(endpoint).first;
  if (!is_ip(host)) args.SetSslTargetNameOverride(host);  // TLS checks the name the operator gave
  auto m = std::make_shared<Member>();
  m->endpoint = endpoint;
  m->address = address;
  m->channel = ::grpc::CreateCustomChannel(member_target(address), creds_, args);
  return m;
}

void Members::add_members(std::vector<MemberPtr>& out, const std::string& endpoint,
                          const std::vector<std::string>& addresses) {
  for (const auto& a : addresses) {
    MemberPtr known;
    {
      std::lock_guard lock(mu_);
      for (const auto& m : list_)
        if (m->endpoint == endpoint && m->address == a) known = m;
    }
    out.push_back(known ? known : make_member(endpoint, a));
  }
}

Members::MemberPtr Members::current() const {
  std::lock_guard lock(mu_);
  return list_[current_];
}

bool Members::failed(const MemberPtr& m, std::string_view why) {
  MemberPtr next;
  bool round_done = false;
  {
    std::lock_guard lock(mu_);
    if (list_[current_] != m) return false;
    current_ = (current_ + 1) % list_.size();
    next = list_[current_];
    round_done = current_ == 0;
  }
  // Warn when a member that worked fails; while every member is down, moving on is not news each time.
  bool was_answering = m->answered.exchange(false, std::memory_order_relaxed);
  if (next != m)
    log_.log(was_answering ? log::Level::Warn : log::Level::Debug, "etcd member failed; moving to the next",
             {{"member", m->address}, {"why", std::string(why)}, {"next", next->address}});
  if (round_done) resolve_again();
  if (on_move) on_move();
  return true;
}

void Members::resolve_again() {
  std::vector<std::string> names;
  for (const auto& ep : endpoints_)
    if (!is_ip(split_host_port(ep).first)) names.push_back(ep);
  {
    std::lock_guard lock(mu_);
    if (names.empty() || resolving_) return;
    resolving_ = true;
  }
  // One lookup per name on asio's resolver thread; the last to finish rebuilds the list in endpoint order.
  struct Round {
    std::vector<std::vector<std::string>> found;  // per endpoint; empty: keep what we have
    std::size_t left;
  };
  auto round = std::make_shared<Round>(Round{std::vector<std::vector<std::string>>(endpoints_.size()), names.size()});
  for (std::size_t i = 0; i < endpoints_.size(); ++i) {
    auto [host, port] = split_host_port(endpoints_[i]);
    if (is_ip(host)) continue;
    auto resolver = std::make_shared<asio::ip::tcp::resolver>(ex_);
    resolver->async_resolve(host, std::to_string(port), [this, round, resolver, i, port = port](
                                                             const boost::system::error_code& ec, auto results) {
      if (!ec) round->found[i] = addresses_of(results, port);
      if (--round->left > 0) return;
      std::vector<MemberPtr> list;
      for (std::size_t k = 0; k < endpoints_.size(); ++k) {
        if (!round->found[k].empty()) {
          add_members(list, endpoints_[k], round->found[k]);
          continue;
        }
        std::lock_guard lock(mu_);  // an IP address, or a name that did not resolve: keep its members
        for (const auto& m : list_)
          if (m->endpoint == endpoints_[k]) list.push_back(m);
      }
      replace_members(std::move(list));
    });
  }
}

void Members::replace_members(std::vector<MemberPtr> list) {
  bool moved = false;
  {
    std::lock_guard lock(mu_);
    resolving_ = false;
    if (list.empty()) return;
    auto was = list_[current_];
    auto it = std::find(list.begin(), list.end(), was);
    moved = it == list.end();
    current_ = moved ? 0 : static_cast<std::size_t>(it - list.begin());
    list_ = std::move(list);
  }
  if (moved && on_move) on_move();
}

}  // namespace svckit::sd::etcd
