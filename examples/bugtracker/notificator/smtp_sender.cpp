#include "smtp_sender.hpp"

#include <curl/curl.h>

#include <algorithm>
#include <cstring>
#include <random>

namespace bugtracker::notificator {

void add_smtp_flags(CLI::App& flags, SmtpOptions& smtp) {
  flags.add_option("--smtp-url", smtp.url, "deliver through this SMTP server, e.g. smtp://127.0.0.1:2525 (default: keep in the outbox)");
  flags.add_option("--smtp-from", smtp.from, "sender address")->capture_default_str();
  flags.add_option_function<long long>(
           "--smtp-give-up-after", [&smtp](long long s) { smtp.give_up_after = std::chrono::seconds(s); },
           "seconds a message may stay undeliverable before it is dead")
      ->check(CLI::PositiveNumber)
      ->default_str(std::to_string(smtp.give_up_after.count()));
  flags.add_option_function<long long>(
           "--smtp-backoff-initial-ms", [&smtp](long long ms) { smtp.backoff_initial = std::chrono::milliseconds(ms); },
           "first retry delay (doubles per attempt, with jitter)")
      ->check(CLI::PositiveNumber)
      ->default_str(std::to_string(smtp.backoff_initial.count()));
  flags.add_option_function<long long>(
           "--smtp-backoff-max-ms", [&smtp](long long ms) { smtp.backoff_max = std::chrono::milliseconds(ms); },
           "longest retry delay (at least the initial one)")
      ->check(CLI::PositiveNumber)
      ->default_str(std::to_string(smtp.backoff_max.count()));
}

namespace {

std::int64_t now_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch()).count();
}

struct Payload {
  std::string data;
  std::size_t pos = 0;
};

std::size_t read_payload(char* buf, std::size_t size, std::size_t n, void* user) {
  auto* p = static_cast<Payload*>(user);
  std::size_t len = std::min(size * n, p->data.size() - p->pos);
  std::memcpy(buf, p->data.data() + p->pos, len);
  p->pos += len;
  return len;
}

}  // namespace

SmtpSender::SmtpSender(std::shared_ptr<Outbox> outbox, SmtpOptions opts) : outbox_(std::move(outbox)), opts_(std::move(opts)) {
  opts_.backoff_max = std::max(opts_.backoff_max, opts_.backoff_initial);
  curl_global_init(CURL_GLOBAL_DEFAULT);
}

SmtpSender::~SmtpSender() {
  {
    std::lock_guard lock(mu_);
    stop_ = true;
  }
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
}

void SmtpSender::start() { thread_ = std::thread([this] { run(); }); }

void SmtpSender::wake() {
  {
    std::lock_guard lock(mu_);
    woken_ = true;
  }
  cv_.notify_all();
}

void SmtpSender::run() {
  std::mt19937_64 rng{std::random_device{}()};
  for (;;) {
    {
      std::unique_lock lock(mu_);
      // Poll every second as well: retries come due without anyone waking us.
      cv_.wait_for(lock, std::chrono::seconds(1), [&] { return stop_ || woken_; });
      if (stop_) return;
      woken_ = false;
    }
    std::vector<OutboxMessage> batch;
    try {
      // The lease outlasts a whole batch's deliveries, so a live sender's claims never expire under it.
      batch = outbox_->claim_due(now_ms(), 50, 50 * opts_.timeout.count() + 60000);
    } catch (const std::exception& e) {
      log_.error("cannot read the outbox", {{"error", e.what()}});
      continue;
    }
    for (const auto& m : batch) {
      {
        std::lock_guard lock(mu_);
        if (stop_) return;
      }
      auto error = deliver(m);
      int attempts = m.attempts + 1;
      try {
        if (error.empty()) {
          outbox_->mark_sent(m.id);
          log_.info("delivered", {{"id", m.id}, {"to", m.email}, {"attempts", attempts}});
        } else if (now_ms() - m.created_ms >= std::chrono::duration_cast<std::chrono::milliseconds>(opts_.give_up_after).count()) {
          outbox_->mark_dead(m.id, attempts, error);
          log_.error("giving up on a message: dead until re-driven (POST /outbox/redrive, or --redrive-dead)",
                     {{"id", m.id}, {"to", m.email}, {"attempts", attempts}, {"error", error}});
        } else {
          auto cap = std::min(opts_.backoff_max, opts_.backoff_initial * (std::int64_t{1} << std::min(attempts - 1, 20)));
          std::uniform_int_distribution<std::int64_t> jitter(cap.count() / 2, cap.count());
          outbox_->mark_retry(m.id, attempts, now_ms() + jitter(rng), error);
          log_.warn("delivery failed; will retry", {{"id", m.id}, {"attempts", attempts}, {"error", error}});
        }
      } catch (const std::exception& e) {
        log_.error("cannot update the outbox", {{"id", m.id}, {"error", e.what()}});
      }
    }
  }
}

std::string SmtpSender::deliver(const OutboxMessage& m) {
  std::unique_ptr<CURL, void (*)(CURL*)> curl(curl_easy_init(), curl_easy_cleanup);
  if (!curl) return "curl_easy_init failed";
  Payload payload;
  payload.data = "From: " + opts_.from + "\r\nTo: " + m.email + "\r\nSubject: notification\r\nMessage-ID: <" + m.id +
                 "@svckit-notificator>\r\n\r\n" + m.content + "\r\n";
  std::string rcpt_addr = "<" + m.email + ">";
  curl_slist* rcpt = curl_slist_append(nullptr, rcpt_addr.c_str());
  std::string from = "<" + opts_.from + ">";
  curl_easy_setopt(curl.get(), CURLOPT_URL, opts_.url.c_str());
  curl_easy_setopt(curl.get(), CURLOPT_MAIL_FROM, from.c_str());
  curl_easy_setopt(curl.get(), CURLOPT_MAIL_RCPT, rcpt);
  curl_easy_setopt(curl.get(), CURLOPT_READFUNCTION, read_payload);
  curl_easy_setopt(curl.get(), CURLOPT_READDATA, &payload);
  curl_easy_setopt(curl.get(), CURLOPT_UPLOAD, 1L);
  curl_easy_setopt(curl.get(), CURLOPT_TIMEOUT_MS, static_cast<long>(opts_.timeout.count()));
  curl_easy_setopt(curl.get(), CURLOPT_NOSIGNAL, 1L);
  CURLcode rc = curl_easy_perform(curl.get());
  curl_slist_free_all(rcpt);
  return rc == CURLE_OK ? std::string() : std::string(curl_easy_strerror(rc));
}

}  // namespace bugtracker::notificator
