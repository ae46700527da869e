#include "svckit/sd/file_registry.hpp"

#include <stdexcept>

#include "../read_only_registrar.hpp"
#include "file_watch.hpp"

namespace svckit::sd {

namespace {

class FileRegistry final : public Registry {
 public:
  explicit FileRegistry(std::string path) : path_(path), watch_(detail::FileWatch::start(std::move(path))) {}
  std::unique_ptr<Registrar> registrar(std::string_view service, Instance inst, std::chrono::seconds) override {
    return std::make_unique<detail::ReadOnlyRegistrar>(std::string(service), inst.address, path_);
  }
  std::shared_ptr<Instancer> instancer(std::string_view service) override { return watch_->instancer(service); }
  Result<std::vector<std::string>> services(std::chrono::milliseconds) override { return watch_->services(); }

 private:
  std::string path_;
  std::shared_ptr<detail::FileWatch> watch_;
};

}  // namespace

std::shared_ptr<Registry> open_file_registry(const RegistryUrl& url) {
  if (!url.hosts.empty() || !url.username.empty())
    throw std::invalid_argument("file:// takes a path, not a host: file:///etc/svckit/instances.json");
  if (!url.query.empty()) throw std::invalid_argument("file:// takes no query");
  if (url.path.size() < 2 || url.path.front() != '/' || url.path.back() == '/')
    throw std::invalid_argument("file:// needs the absolute path of a file: file:///etc/svckit/instances.json");
  if (url.path.find('\0') != std::string::npos) throw std::invalid_argument("file:// path has a NUL byte");
  return std::make_shared<FileRegistry>(url.path);
}

}  // namespace svckit::sd
