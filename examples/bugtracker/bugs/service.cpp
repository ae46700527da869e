#include "service.hpp"

#include <charconv>

namespace bugtracker::bugs {

namespace {
constexpr std::size_t kMaxTextBytes = 10000;
svckit::Status storage_error(const std::exception& e) { return svckit::unavailable(std::string("storage: ") + e.what()); }

// The signed-in user's id (the token's subject, as users issues it); 0 when it is not a number.
std::int64_t user_id(const svckit::auth::Claims& who) {
  std::int64_t id = 0;
  auto [p, ec] = std::from_chars(who.subject.data(), who.subject.data() + who.subject.size(), id);
  return ec == std::errc() && p == who.subject.data() + who.subject.size() ? id : 0;
}

std::string assignment_text(const Bug& b) {
  return "You have been assigned bug #" + std::to_string(b.id) + " (" + b.status + "): " + b.text;
}
}  // namespace

bool valid_status(const std::string& s) { return s == "open" || s == "in_progress" || s == "closed"; }

BugsService::BugsService(std::shared_ptr<BugStore> store, svckit::BlockingPool& pool, std::shared_ptr<EmailSender> emails,
                         FindUser find_user)
    : store_(std::move(store)), pool_(pool), emails_(std::move(emails)), find_user_(std::move(find_user)) {}

boost::asio::awaitable<svckit::Result<Bug>> BugsService::file(const svckit::Context&, const svckit::auth::Claims& who,
                                                              std::string text) {
  if (text.find_first_not_of(" \t\r\n") == std::string::npos) co_return svckit::invalid_argument("field \"bug\" must not be empty");
  if (text.size() > kMaxTextBytes) co_return svckit::invalid_argument("field \"bug\" is longer than 10000 bytes");
  Bug b;
  b.text = std::move(text);
  b.status = "open";
  b.reporter_id = user_id(who);
  b.reporter_email = who.email;
  b.created_ms = b.updated_ms = now_ms();
  co_return co_await svckit::run_blocking(pool_, [&]() -> svckit::Result<Bug> {
    try {
      return store_->create(b);
    } catch (const std::exception& e) {
      return storage_error(e);
    }
  });
}

boost::asio::awaitable<svckit::Result<Bug>> BugsService::get(const svckit::Context&, std::int64_t id) {
  auto b = co_await svckit::run_blocking(pool_, [&]() -> svckit::Result<std::optional<Bug>> {
    try {
      return store_->get(id);
    } catch (const std::exception& e) {
      return storage_error(e);
    }
  });
  if (!b.ok()) co_return b.status();
  if (!*b) co_return svckit::Status(svckit::StatusCode::NotFound, "no bug " + std::to_string(id));
  co_return **b;
}

boost::asio::awaitable<svckit::Result<BugPage>> BugsService::list(const svckit::Context&, BugQuery q) {
  if (q.limit < 1 || q.limit > 100) co_return svckit::invalid_argument("limit must be between 1 and 100");
  if (q.after_id < 0) co_return svckit::invalid_argument("after must not be negative");
  if (!q.status.empty() && !valid_status(q.status))
    co_return svckit::invalid_argument("status must be open, in_progress or closed");
  co_return co_await svckit::run_blocking(pool_, [&]() -> svckit::Result<BugPage> {
    try {
      return store_->list(q);
    } catch (const std::exception& e) {
      return storage_error(e);
    }
  });
}

boost::asio::awaitable<svckit::Result<Bug>> BugsService::change(const svckit::Context& ctx, const svckit::auth::Claims& who,
                                                                std::int64_t id, BugPatch patch) {
  if (!patch.status && !patch.assignee_id)
    co_return svckit::invalid_argument("nothing to change: give \"status\" or \"assignee_id\"");
  if (patch.status && !valid_status(*patch.status))
    co_return svckit::invalid_argument("field \"status\" must be open, in_progress or closed");
  if (patch.assignee_id && *patch.assignee_id < 0) co_return svckit::invalid_argument("field \"assignee_id\" must not be negative");
  UserRef assignee;  // id 0: unassigned
  if (patch.assignee_id && *patch.assignee_id != 0) {
    auto found = co_await find_user_(ctx, *patch.assignee_id);
    if (!found.ok() && found.status().code() == svckit::StatusCode::NotFound)
      co_return svckit::invalid_argument("assignee_id " + std::to_string(*patch.assignee_id) + " is not a registered user");
    if (!found.ok()) co_return svckit::Status(found.status().code(), "cannot look up the assignee: " + found.status().message());
    assignee = std::move(*found);
  }

  const std::int64_t me = user_id(who);
  auto changed = co_await svckit::run_blocking(pool_, [&]() -> svckit::Result<BugChange> {
    try {
      return store_->update(id, [&](const Bug& current) -> svckit::Result<BugChange> {
        const bool is_reporter = me != 0 && current.reporter_id == me;
        const bool is_assignee = me != 0 && current.assignee_id == me;
        if (!is_reporter && !is_assignee)
          return svckit::permission_denied("only the reporter or the assignee may change bug " + std::to_string(id));
        BugChange c{current, std::nullopt};
        if (patch.status) c.bug.status = *patch.status;
        if (patch.assignee_id) {
          c.bug.assignee_id = assignee.id;
          c.bug.assignee = assignee.email;
        }
        c.bug.updated_ms = now_ms();
        if (c.bug.assignee_id != 0 && c.bug.assignee_id != current.assignee_id)
          c.notify = QueuedEmail{0, c.bug.assignee, assignment_text(c.bug), 0};
        return c;
      });
    } catch (const std::exception& e) {
      return storage_error(e);
    }
  });
  if (!changed.ok()) co_return changed.status();
  if (log_.enabled(svckit::log::Level::Info))
    log_.for_request(ctx).info("bug changed", {{"bug_id", id}, {"status", changed->bug.status}});
  // Best effort now; if no notificator takes it, the queued email is retried in the background.
  if (changed->notify) (void)co_await emails_->send(ctx, *changed->notify);
  co_return changed->bug;
}

}  // namespace bugtracker::bugs
