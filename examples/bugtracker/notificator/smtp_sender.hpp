// Delivers outbox messages over SMTP (libcurl) on its own thread, with retries and capped backoff; marks
// each message sent, or dead once it has been undeliverable for give_up_after (a day by default: an SMTP
// outage of hours loses nothing). Dead messages stay listed and are re-driven with POST /outbox/redrive on
// a running notificator (or --redrive-dead on a stopped one's SQLite store).
// Messages are claimed from the outbox before delivery (Outbox::claim_due), so two notificators sharing one
// database send each message once; a notificator that dies between sending and marking a message sent
// leaves it to be sent again after the claim's lease (at-least-once; the Message-ID header is the
// message's id, for receivers that deduplicate). Runs only when --smtp-url is given.
#pragma once

#include <CLI/CLI.hpp>

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
  std::chrono::seconds give_up_after{24 * 3600};  // since the message was stored; then it is dead
  std::chrono::milliseconds backoff_initial{500};
  std::chrono::milliseconds backoff_max{60000};
  std::chrono::milliseconds timeout{10000};  // per delivery
};

/// --smtp-url, --smtp-from, --smtp-give-up-after, --smtp-backoff-initial-ms, --smtp-backoff-max-ms.
void add_smtp_flags(CLI::App& flags, SmtpOptions& smtp);

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
