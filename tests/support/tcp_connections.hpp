// Counts established TCP connections to a local port, from /proc/net/tcp and /proc/net/tcp6: what a test
// uses to check how many connections a client really holds (all of this network namespace's, or one
// process's, matched through the socket inodes of its open files).
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>
#include <string>

namespace svckit::test {

/// The inodes of the sockets process `pid` has open.
inline std::set<std::string> socket_inodes_of(pid_t pid) {
  std::set<std::string> out;
  std::error_code ec;
  for (const auto& fd : std::filesystem::directory_iterator("/proc/" + std::to_string(pid) + "/fd", ec)) {
    auto target = std::filesystem::read_symlink(fd.path(), ec).string();  // "socket:[12345]"
    if (!ec && target.rfind("socket:[", 0) == 0) out.insert(target.substr(8, target.size() - 9));
  }
  return out;
}

/// Established connections whose remote end is `port` (client sides of connections to a server on it);
/// with pid > 0, only those of that process.
inline int established_connections_to(std::uint16_t port, pid_t pid = 0) {
  const auto mine = pid > 0 ? socket_inodes_of(pid) : std::set<std::string>();
  int n = 0;
  for (const char* file : {"/proc/net/tcp", "/proc/net/tcp6"}) {
    std::ifstream in(file);
    std::string line;
    std::getline(in, line);  // header
    while (std::getline(in, line)) {
      std::istringstream fields(line);
      std::string slot, local, remote, state, queues, timer, retransmits, uid, timeout, inode;
      fields >> slot >> local >> remote >> state >> queues >> timer >> retransmits >> uid >> timeout >> inode;
      auto colon = remote.rfind(':');
      if (colon == std::string::npos || state != "01") continue;  // 01: ESTABLISHED
      if (std::stoul(remote.substr(colon + 1), nullptr, 16) != port) continue;
      if (pid > 0 && !mine.count(inode)) continue;
      ++n;
    }
  }
  return n;
}

}  // namespace svckit::test
