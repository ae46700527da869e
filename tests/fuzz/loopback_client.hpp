// For the fuzz targets that talk to a live server in their own process (http_request_fuzz, grpc_wire_fuzz):
// one blocking loopback connection per input. libFuzzer's -timeout runs on SIGALRM, so every call here
// retries on EINTR; a server that neither answers nor closes within 5 s aborts the input.
#pragma once

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>

namespace svckit::fuzz {

struct LoopbackClient {
  unsigned short port = 0;

  // An interrupted connect goes on in the background: wait for it and read its outcome.
  static bool finish_interrupted_connect(int fd) {
    if (errno != EINTR) return false;
    pollfd p{fd, POLLOUT, 0};
    while (::poll(&p, 1, 5000) < 0 && errno == EINTR) {
    }
    int err = 0;
    socklen_t len = sizeof err;
    if (::getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len) != 0 || err != 0) return false;
    return (p.revents & POLLOUT) != 0;
  }

  int connect() const {
    int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(port);
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    timeval tv{5, 0};  // a server that hangs fails the input rather than the fuzzer
    ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    ::setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
    if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 && !finish_interrupted_connect(fd)) {
      std::perror("connect");
      std::abort();
    }
    return fd;
  }

  // Sends `prefix` then the input, half-closes, and reads until the server closes; returns what it answered.
  std::string exchange(std::string_view prefix, const std::uint8_t* data, std::size_t size) const {
    int fd = connect();
    if (send_all(fd, reinterpret_cast<const std::uint8_t*>(prefix.data()), prefix.size())) send_all(fd, data, size);
    ::shutdown(fd, SHUT_WR);
    std::string got;
    char buf[4096];
    for (;;) {
      auto n = ::recv(fd, buf, sizeof buf, 0);
      if (n < 0 && errno == EINTR) continue;
      if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
        std::fprintf(stderr, "the server neither answered nor closed within 5 s\n");
        std::abort();
      }
      if (n <= 0) break;
      got.append(buf, static_cast<std::size_t>(n));
    }
    ::close(fd);
    return got;
  }

  // False when the server closed early (a refused request: fine).
  static bool send_all(int fd, const std::uint8_t* data, std::size_t size) {
    for (std::size_t sent = 0; sent < size;) {
      auto n = ::send(fd, data + sent, size - sent, MSG_NOSIGNAL);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) return false;
      sent += static_cast<std::size_t>(n);
    }
    return true;
  }
};

}  // namespace svckit::fuzz
