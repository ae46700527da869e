// Follows one instances file (file_registry.hpp) on a thread of its own and publishes each service's
// instances to the instancers handed out for it.
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <thread>

#include "svckit/result.hpp"
#include "svckit/sd/instancer.hpp"

namespace svckit::sd::detail {

class FileWatch : public std::enable_shared_from_this<FileWatch> {
 public:
  /// Reads the file once (so the first instancer starts from its content) and starts following it.
  static std::shared_ptr<FileWatch> start(std::string path);
  ~FileWatch();
  /// The instances of `service`; one instancer per service while it is held.
  std::shared_ptr<Instancer> instancer(std::string_view service);
  /// The services of the last good content, or why there is none.
  Result<std::vector<std::string>> services();

  struct State;

 private:
  explicit FileWatch(std::shared_ptr<State> state) : state_(std::move(state)) {}
  std::shared_ptr<State> state_;  // shared with the thread, which may outlive this object (see ~FileWatch)
  std::thread thread_;
};

}  // namespace svckit::sd::detail
