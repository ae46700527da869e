// Delivers outbox messages over SMTP (libcurl) on its own thread, with retries and backoff; marks each
// message sent, or failed after max_attempts. Runs only when --smtp-url is given.
#pragma once

#include <chrono>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

#include "outbox.hpp"
#include "svckit/log.hpp"

namespace bugtracker::notificator {

struct SmtpOptions {
  std::string url;                      // smtp://host:port (or smtps://)
  std::string from = "notificator@localhost";
  int max_attempts = 8;
  std::chrono::milliseconds backoff_initial{500};
  std::chrono::milliseconds backoff_max{60000};
  std::chrono::milliseconds timeout{10000};  // per delivery
};

class SmtpSender {
 public:
  SmtpSender(std::shared_ptr<Outbox> outbox, SmtpOptions opts);
  ~SmtpSender();  // stops the thread (a delivery in progress finishes first)
  void start();
  /// New mail: look at the outbox now rather than at the next poll.
  void wake();

 private:
  void run();
  std::string deliver(const OutboxMessage& m);  // "" on success, else the error

  std::shared_ptr<Outbox> outbox_;
  SmtpOptions opts_;
  svckit::log::Logger log_{"smtp"};
  std::mutex mu_;
  std::condition_variable cv_;
  bool stop_ = false;
  bool woken_ = false;
  std::thread thread_;
};

}  // namespace bugtracker::notificator
