// Test support: what a subscriber of an Instancer has applied, kept on a thread of its own, as a service's
// balancer would keep it.
#pragma once

#include <algorithm>
#include <map>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>

#include "svckit/sd/instancer.hpp"

namespace svckit::test {

/// Subscribes on construction; the subscription ends with the view.
class View {
 public:
  explicit View(sd::Instancer& instancer) {
    sub_ = instancer.subscribe(io_.get_executor(), [this](const sd::InstanceUpdate& u) {
      std::lock_guard lock(mu_);
      if (u.reset) set_.clear();
      for (const auto& i : u.upserts) set_[i.key] = i;
      for (const auto& k : u.removed) set_.erase(k);
      status_ = u.status;
      ++updates_;
    });
    thread_ = std::thread([this] { io_.run(); });
  }
  ~View() {
    sub_.cancel();
    work_.reset();
    thread_.join();
  }
  std::map<std::string, sd::Instance> set() {
    std::lock_guard lock(mu_);
    return set_;
  }
  bool has(const std::string& key) { return set().contains(key); }
  /// The addresses in the set, sorted.
  std::vector<std::string> addresses() {
    std::vector<std::string> out;
    for (const auto& [key, inst] : set()) out.push_back(inst.address);
    std::sort(out.begin(), out.end());
    return out;
  }
  std::size_t size() { return set().size(); }
  Status status() {
    std::lock_guard lock(mu_);
    return status_;
  }

 private:
  boost::asio::io_context io_;
  boost::asio::executor_work_guard<boost::asio::io_context::executor_type> work_{io_.get_executor()};
  std::thread thread_;
  sd::Subscription sub_;
  std::mutex mu_;
  std::map<std::string, sd::Instance> set_;
  Status status_;
  int updates_ = 0;
};

/// An instance at `address` with no metadata (what a test registers).
inline sd::Instance instance(const std::string& address) {
  sd::Instance i;
  i.address = address;
  return i;
}

}  // namespace svckit::test
