#include "members.hpp"

#include <random>
#include <stdexcept>

#include <boost/asio/ip/address.hpp>
#include <grpcpp/create_channel.h>

#include "svckit/address.hpp"

namespace svckit::sd::etcd {

std::string member_target(std::string_view endpoint) {
  auto [host, port] = split_host_port(endpoint);  // throws with a clear message
  boost::system::error_code ec;
  auto addr = boost::asio::ip::make_address(host, ec);
  if (ec) return "dns:///" + join_host_port(host, port);
  if (addr.is_v4()) return "ipv4:" + addr.to_string() + ":" + std::to_string(port);
  return "ipv6:[" + addr.to_string() + "]:" + std::to_string(port);
}

Members::Members(const std::vector<std::string>& endpoints, const std::shared_ptr<::grpc::ChannelCredentials>& creds,
                 const ::grpc::ChannelArguments& args) {
  if (endpoints.empty()) throw std::invalid_argument("etcd: no endpoints given");
  for (const auto& ep : endpoints) members_.push_back({ep, ::grpc::CreateCustomChannel(member_target(ep), creds, args)});
  answered_ = std::make_unique<std::atomic<bool>[]>(members_.size());
  std::mt19937_64 rng{std::random_device{}()};
  current_ = std::uniform_int_distribution<std::size_t>(0, members_.size() - 1)(rng);
}

void Members::answered(std::size_t index) { answered_[index].store(true, std::memory_order_relaxed); }

bool Members::failed(std::size_t index, std::string_view why) {
  std::size_t next = (index + 1) % members_.size();
  if (!current_.compare_exchange_strong(index, next, std::memory_order_acq_rel)) return false;
  // Warn when a member that worked fails; while every member is down, moving on is not news each time.
  bool was_answering = answered_[index].exchange(false, std::memory_order_relaxed);
  if (members_.size() > 1) {
    log_.log(was_answering ? log::Level::Warn : log::Level::Debug, "etcd member failed; moving to the next",
             {{"member", members_[index].endpoint}, {"why", std::string(why)}, {"next", members_[next].endpoint}});
  }
  if (on_move) on_move();
  return true;
}

}  // namespace svckit::sd::etcd
