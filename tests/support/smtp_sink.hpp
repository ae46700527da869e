// Test support: a real SMTP server (Debian's python3-aiosmtpd) on a loopback port, keeping every mail it
// accepts as a file in a maildir (DIR/new), so a test can count what was delivered, not what was queued.
#pragma once

#include <filesystem>
#include <fstream>
#include <iterator>
#include <map>
#include <regex>
#include <string>
#include <vector>

#include "support/process.hpp"

namespace svckit::test {

class SmtpSink {
 public:
  /// Starts aiosmtpd on port, storing mail under maildir (its log in maildir + ".log").
  SmtpSink(unsigned short port, std::string maildir)
      : port_(port),
        maildir_(std::move(maildir)),
        proc_({"/usr/bin/python3", "-m", "aiosmtpd", "-n", "-l", "127.0.0.1:" + std::to_string(port), "-c",
               "aiosmtpd.handlers.Mailbox", maildir_},
              maildir_ + ".log") {}
  unsigned short port() const { return port_; }
  std::string url() const { return "smtp://127.0.0.1:" + std::to_string(port_); }
  std::string log() const { return proc_.log(); }
  std::vector<std::string> mails() const { return mails_in(maildir_); }
  std::vector<std::string> message_ids() const { return message_ids_in(maildir_); }
  /// The text of every mail in a maildir (received so far).
  static std::vector<std::string> mails_in(const std::string& maildir) {
    std::vector<std::string> out;
    std::error_code ec;
    for (const auto& f : std::filesystem::directory_iterator(maildir + "/new", ec)) {
      std::ifstream in(f.path());
      out.emplace_back((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    }
    return out;
  }
  /// The Message-IDs (notificator: the outbox id) of the mails in a maildir, one per mail.
  static std::vector<std::string> message_ids_in(const std::string& maildir) {
    std::vector<std::string> ids;
    for (const auto& text : mails_in(maildir)) {
      std::smatch m;
      if (std::regex_search(text, m, std::regex("Message-ID: <([^@>]*)@"))) ids.push_back(m[1]);
    }
    return ids;
  }
  /// How many mails each address received (their To: header), from one read of the maildir.
  std::map<std::string, int> count_by_recipient() const {
    std::map<std::string, int> out;
    for (const auto& text : mails()) {
      auto at = text.find("\nTo: ");
      if (at == std::string::npos) continue;
      at += 5;
      auto end = text.find_first_of("\r\n", at);
      ++out[text.substr(at, end == std::string::npos ? std::string::npos : end - at)];
    }
    return out;
  }

 private:
  unsigned short port_;
  std::string maildir_;
  Process proc_;
};

}  // namespace svckit::test
