// bugs — the service layer: filing, listing and changing bugs, and telling an assignee by email.
//
// Who may do what: reading is open to anyone; filing needs a signed-in user (a token from users); changing
// a bug is allowed to its reporter and its current assignee only (PERMISSION_DENIED otherwise), compared
// by user id (the token's subject, never its email claim) inside the store's transaction so that a
// concurrent reassignment cannot slip past the check. An assignee is a registered user: the id is looked
// up in users (user_directory.hpp) first, and an unknown id is refused.
// Assigning a bug queues an email to the new assignee's registered address in the same transaction and sends it at once through
// notificator; when no notificator answers, the change still succeeds and the email is retried later
// (queued_email.hpp).
#pragma once

#include <memory>
#include <optional>
#include <string>

#include <boost/asio/awaitable.hpp>

#include "store.hpp"
#include "user_directory.hpp"
#include "svckit/auth/jwt.hpp"
#include "svckit/blocking.hpp"
#include "svckit/log.hpp"

namespace bugtracker::bugs {

/// The statuses a bug moves through (any order: a closed bug may be reopened).
bool valid_status(const std::string& s);

/// PATCH /bugs/{id}: only the fields present change.
struct BugPatch {
  std::optional<std::string> status;
  std::optional<std::int64_t> assignee_id;  // a registered user's id; 0 unassigns
};

class BugsService {
 public:
  BugsService(std::shared_ptr<BugStore> store, svckit::BlockingPool& pool, std::shared_ptr<EmailSender> emails,
              FindUser find_user);

  /// INVALID_ARGUMENT for empty text or text over 10,000 characters.
  boost::asio::awaitable<svckit::Result<Bug>> file(const svckit::Context& ctx, const svckit::auth::Claims& who, std::string text);
  boost::asio::awaitable<svckit::Result<Bug>> get(const svckit::Context& ctx, std::int64_t id);
  /// INVALID_ARGUMENT for a limit outside 1..100 or an unknown status.
  boost::asio::awaitable<svckit::Result<BugPage>> list(const svckit::Context& ctx, BugQuery q);
  /// INVALID_ARGUMENT for an empty patch, an unknown status, a negative assignee id or one users does not
  /// know; NOT_FOUND; PERMISSION_DENIED unless `who` reported the bug or is its assignee; UNAVAILABLE when
  /// an assignee cannot be looked up (users unreachable).
  boost::asio::awaitable<svckit::Result<Bug>> change(const svckit::Context& ctx, const svckit::auth::Claims& who,
                                                     std::int64_t id, BugPatch patch);

 private:
  std::shared_ptr<BugStore> store_;
  svckit::BlockingPool& pool_;
  std::shared_ptr<EmailSender> emails_;
  FindUser find_user_;
  svckit::log::Logger log_{"bugs"};
};

}  // namespace bugtracker::bugs
