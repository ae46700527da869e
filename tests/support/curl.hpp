// Test support: curl as an outside HTTP client (its own bytes on a real socket), with its status, reply
// Content-Type and body.
#pragma once

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <memory>
#include <string>

namespace svckit::test {

class Curl {
 public:
  struct Reply {
    int status = 0;
    std::string content_type, body;
  };

  explicit Curl(unsigned short port) : port_(port) {
    char tmpl[] = "/tmp/svckit-curl-XXXXXX";  // its own: ctest runs the cases as parallel processes
    dir_ = mkdtemp(tmpl);
  }
  ~Curl() { std::filesystem::remove_all(dir_); }
  Curl(const Curl&) = delete;
  Curl& operator=(const Curl&) = delete;

  /// curl -X method http://127.0.0.1:port<target>, sending `body` (bytes, from a file; curl's default
  /// Content-Type) unless the method is GET, HEAD or DELETE, with these extra curl arguments (shell-quoted).
  Reply operator()(const std::string& method, const std::string& target, const std::string& body = {},
                   const std::string& args = {}) const {
    const std::string in = dir_ + "/req.bin", out = dir_ + "/resp.bin";
    std::ofstream(in, std::ios::binary) << body;
    std::string cmd = "curl -s --max-time 10 -o " + out + " -w '%{http_code} %{content_type}' -X " + method + " " +
                      (method == "GET" || method == "HEAD" || method == "DELETE" ? std::string() : "--data-binary @" + in + " ") + args + " 'http://127.0.0.1:" +
                      std::to_string(port_) + target + "'";
    std::unique_ptr<FILE, int (*)(FILE*)> p(popen(cmd.c_str(), "r"), pclose);
    char line[256] = {};
    Reply r;
    if (p && fgets(line, sizeof line, p.get())) {
      std::string s(line);
      r.status = std::atoi(s.c_str());
      r.content_type = s.substr(s.find(' ') + 1);
    }
    std::ifstream f(out, std::ios::binary);
    r.body.assign(std::istreambuf_iterator<char>(f), {});
    return r;
  }

 private:
  unsigned short port_;
  std::string dir_;
};

}  // namespace svckit::test
