#include "file_watch.hpp"

#include <fcntl.h>
#include <poll.h>
#include <sys/eventfd.h>
#include <sys/inotify.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstring>
#include <map>
#include <mutex>

#include "svckit/log.hpp"
#include "svckit/sd/instance_file.hpp"

namespace svckit::sd::detail {

namespace {

// Checked this often even without an inotify event (NFS, overlay file systems, a directory that appears
// later), and how long a burst of events (an editor's truncate, write, rename) is let settle.
constexpr int kPollMs = 2000;
constexpr int kSettleMs = 5;
constexpr std::size_t kMaxSkippedLogged = 20;

class FileInstancer final : public Instancer {
 public:
  explicit FileInstancer(std::shared_ptr<FileWatch> watch) : watch_(std::move(watch)) {}
  void publish(const InstanceFile* file, std::string_view service, const Status& status) {
    if (file) {
      auto it = file->services.find(service);
      replace_all(it == file->services.end() ? std::vector<Instance>{} : it->second);
    }
    set_status(status);
  }

 private:
  std::shared_ptr<FileWatch> watch_;  // the file is followed while anyone holds one of its instancers
};

// What identifies a version of the file without reading it.
struct FileId {
  dev_t dev = 0;
  ino_t ino = 0;
  off_t size = -1;
  std::int64_t mtime_ns = -1;
  friend bool operator==(const FileId&, const FileId&) = default;
};

std::string errno_text(int e) { return std::strerror(e); }

}  // namespace

struct FileWatch::State {
  std::string path, dir, name;
  InstanceFileFormat format = InstanceFileFormat::json;
  int inotify = -1;  // -1: not available; the periodic check still runs
  int wake = -1;     // eventfd: written when the watch stops
  std::atomic<bool> stopping{false};
  log::Logger log{"file-registry"};

  std::mutex mu;  // guards what follows
  std::optional<InstanceFile> good;  // the last good content
  Status status;
  std::string text;  // the last content read, good or bad: unchanged content is not parsed again
  FileId id;
  std::map<std::string, std::weak_ptr<FileInstancer>, std::less<>> instancers;

  ~State() {
    if (inotify >= 0) ::close(inotify);
    if (wake >= 0) ::close(wake);
  }

  // Reads and parses the file if it changed; publishes to every instancer when the set or status did.
  // `event`: the directory changed, so the file is read even if its identity looks the same (mtimes are
  // as coarse as the kernel's tick: two same-size writes can share one).
  void reload(bool event) {
    auto read = read_file(event);
    std::vector<std::shared_ptr<FileInstancer>> held;  // released after the lock (a last owner may let go here)
    std::lock_guard lock(mu);
    const Status before = status;
    bool set_changed = false;
    if (!read.ok()) {
      status = read.status();
      text.clear();  // whatever comes next is news
    } else if (!*read || **read == text) {
      return;  // unchanged
    } else {
      text = std::move(**read);
      set_changed = parse();
    }
    const bool status_changed = !(status.code() == before.code() && status.message() == before.message());
    if (status_changed && status.ok()) log.info("instances file read", {{"path", path}});
    if (status_changed && !status.ok())
      log.warn(good ? "instances file unusable; keeping the last good set" : "instances file unusable",
               {{"path", path}, {"error", status.message()}});
    if (!set_changed && !status_changed) return;
    for (auto& [service, weak] : instancers)
      if (auto inst = weak.lock()) {
        inst->publish(set_changed ? &*good : nullptr, service, status);
        held.push_back(std::move(inst));
      }
  }

  // Parses `text`: true when it replaced the good set, false when it was bad (status says why).
  bool parse() {
    auto parsed = parse_instance_file(text, format);
    if (!parsed.ok()) {
      status = unavailable(path + ": " + parsed.status().message());
      return false;
    }
    std::size_t n = 0;
    for (const auto& why : parsed->skipped)
      if (n++ < kMaxSkippedLogged) log.warn("skipping malformed instance", {{"path", path}, {"error", why}});
    if (parsed->skipped.size() > kMaxSkippedLogged)
      log.warn("more malformed instances skipped", {{"path", path}, {"count", parsed->skipped.size() - kMaxSkippedLogged}});
    good = std::move(*parsed);
    status = {};
    return true;
  }

  // The file's content, or nullopt when its identity (device, inode, size, mtime) is what it was last time
  // and `force` is not set.
  Result<std::optional<std::string>> read_file(bool force) {
    int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
    if (fd < 0) {
      last_id_ = {};
      return unavailable("cannot read " + path + ": " + errno_text(errno));
    }
    auto out = read_open_file(fd, force);
    ::close(fd);
    if (!out.ok()) last_id_ = {};
    return out;
  }

  Result<std::optional<std::string>> read_open_file(int fd, bool force) {
    struct stat st {};
    if (::fstat(fd, &st) != 0) return unavailable("cannot stat " + path + ": " + errno_text(errno));
    if (!S_ISREG(st.st_mode)) return unavailable(path + " is not a regular file");
    const std::string too_large = path + " is larger than " + std::to_string(kMaxInstanceFileBytes) + " bytes";
    if (static_cast<std::uint64_t>(st.st_size) > kMaxInstanceFileBytes) return unavailable(too_large);
    FileId now{st.st_dev, st.st_ino, st.st_size, std::int64_t(st.st_mtim.tv_sec) * 1'000'000'000 + st.st_mtim.tv_nsec};
    if (now == last_id_ && !force) return std::optional<std::string>();
    last_id_ = now;
    std::string out(kMaxInstanceFileBytes + 1, '\0');
    std::size_t got = 0;
    for (;;) {  // the file may grow while it is read: never past the limit
      ssize_t r = ::read(fd, out.data() + got, out.size() - got);
      if (r < 0 && errno == EINTR) continue;
      if (r < 0) return unavailable("cannot read " + path + ": " + errno_text(errno));
      if (r == 0) break;
      got += static_cast<std::size_t>(r);
      if (got == out.size()) return unavailable(too_large);
    }
    out.resize(got);
    return std::optional<std::string>(std::move(out));
  }

  enum class Woken { stop, event, timeout };
  // Waits for a change in the directory, or the periodic check.
  Woken wait() {
    pollfd fds[2] = {{wake, POLLIN, 0}, {inotify, POLLIN, 0}};
    int n = ::poll(fds, inotify >= 0 ? 2 : 1, kPollMs);
    if (stopping.load()) return Woken::stop;
    if (n <= 0 || !(fds[1].revents & POLLIN)) return Woken::timeout;
    // Let a burst settle, then drain every event: any change in the directory means "look again".
    ::poll(fds, 1, kSettleMs);
    alignas(inotify_event) char buf[16 * 1024];
    while (::read(inotify, buf, sizeof buf) > 0) {
    }
    return stopping.load() ? Woken::stop : Woken::event;
  }

  void run() {
    for (Woken w; (w = wait()) != Woken::stop;) reload(w == Woken::event);
  }

 private:
  FileId last_id_;
};

std::shared_ptr<FileWatch> FileWatch::start(std::string path) {
  auto state = std::make_shared<State>();
  auto slash = path.rfind('/');
  state->dir = slash == 0 ? "/" : path.substr(0, slash);
  state->name = path.substr(slash + 1);
  state->format = instance_file_format(path);
  state->path = std::move(path);
  state->wake = ::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
  if (state->wake < 0) throw std::system_error(errno, std::generic_category(), "eventfd");
  state->inotify = ::inotify_init1(IN_CLOEXEC | IN_NONBLOCK);
  if (state->inotify >= 0 &&
      ::inotify_add_watch(state->inotify, state->dir.c_str(),
                          IN_CLOSE_WRITE | IN_MOVED_TO | IN_MOVED_FROM | IN_CREATE | IN_DELETE | IN_ATTRIB | IN_ONLYDIR) < 0) {
    state->log.warn("cannot watch the directory; checking the file every 2 s",
                    {{"dir", state->dir}, {"error", errno_text(errno)}});
    ::close(state->inotify);
    state->inotify = -1;
  }
  state->reload(true);
  auto watch = std::shared_ptr<FileWatch>(new FileWatch(state));
  watch->thread_ = std::thread([state] { state->run(); });
  return watch;
}

FileWatch::~FileWatch() {
  state_->stopping = true;
  std::uint64_t one = 1;
  (void)!::write(state_->wake, &one, sizeof one);
  // The thread may drop the last instancer, and with it this object: then it cannot join itself; it holds
  // the state it uses and ends on its own.
  if (thread_.get_id() == std::this_thread::get_id())
    thread_.detach();
  else
    thread_.join();
}

std::shared_ptr<Instancer> FileWatch::instancer(std::string_view service) {
  std::shared_ptr<FileInstancer> out;
  std::lock_guard lock(state_->mu);
  auto& slot = state_->instancers[std::string(service)];
  if ((out = slot.lock())) return out;
  std::erase_if(state_->instancers, [](const auto& kv) { return kv.second.expired(); });
  out = std::make_shared<FileInstancer>(shared_from_this());
  state_->instancers[std::string(service)] = out;
  out->publish(state_->good ? &*state_->good : nullptr, service, state_->status);
  return out;
}

}  // namespace svckit::sd::detail

namespace svckit::sd::detail {

Result<std::vector<std::string>> FileWatch::services() {
  std::lock_guard lock(state_->mu);
  if (!state_->good) return state_->status;
  std::vector<std::string> out;
  for (const auto& [name, instances] : state_->good->services) out.push_back(name);
  return out;
}

}  // namespace svckit::sd::detail
