// The passing instances of one service in Consul, followed with blocking queries (see consul/registry.hpp
// for the index rules).
#pragma once

#include <chrono>
#include <memory>
#include <string>

#include "../../transport/http/api_client.hpp"
#include "svckit/sd/instancer.hpp"

namespace svckit::sd::consul {

class Instancer final : public sd::Instancer {
 public:
  struct Private {};
  struct Loop;
  static std::shared_ptr<Instancer> create(std::shared_ptr<http::ApiClient> agent, std::string service, std::chrono::seconds wait);
  Instancer(Private, std::shared_ptr<http::ApiClient> agent);
  ~Instancer() override;

 private:
  friend struct Loop;
  std::shared_ptr<http::ApiClient> agent_;
  std::shared_ptr<Loop> loop_;  // on the agent's thread; reaches us through its gate while we live
};

}  // namespace svckit::sd::consul
